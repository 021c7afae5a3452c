"""nianbao-docgen: synthetic annual reports with truth files (`python -m docgen`, see README.md).

`generate` is the command; the other modules draw a report, render it and write its truth.
"""
