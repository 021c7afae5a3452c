"""`python -m docgen`: the generator's command line (docgen.generate)."""

from .generate import main

main()
