"""The extractor's version, part of every result's provenance and of the store's key (a new
version re-extracts). Its own module so that the stages can name it without importing the
package's `__init__`, which imports the pipeline."""

__version__ = "0.1.0"
