"""Glass Box core: open an OLMoE model and show exactly what it does with a piece of text.

Nothing in this package imports Streamlit; pages and the CLI are thin layers over it.
"""

__version__ = "0.1.0"
