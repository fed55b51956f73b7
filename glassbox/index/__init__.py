"""The corpus index: building it (`build`), the opened engine (`engine`), tracing a text to its
training documents (`trace`), counts and ∞-grams (`ngrams`) and the hosted index of the
full-size OLMoE (`hosted`)."""
