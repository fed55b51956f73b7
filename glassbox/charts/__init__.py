"""Plotly figures for the site, each with a table-rows twin holding the same numbers.

Every builder turns plain data (lists, NumPy arrays) into a `plotly.graph_objects.Figure`; its
`*_rows` sibling returns those numbers as a list of dicts, so a page can show a table or text
beside the chart; it takes the same arguments as its builder (it ignores `labels` and `highlight`),
so a page can call both with one argument list. Titles, axis and legend text come in through
`labels` (English defaults; each builder's keys are in `glassbox.charts.style.*_LABELS`).
Token labels arrive readable (`glassbox.tokens`); here they are escaped for plotly's HTML-like
text and made unique, because plotly merges equal category labels. No streamlit, no page layout.
"""

from glassbox.charts.bars import (
    compare_distributions,
    compare_rows,
    loss_curve,
    loss_curve_rows,
    next_token_bars,
    next_token_rows,
    token_counts,
    token_counts_rows,
)
from glassbox.charts.cards import card_guesses, card_guesses_rows
from glassbox.charts.heatmaps import (
    domain_usage,
    domain_usage_rows,
    expert_load,
    expert_load_rows,
    routing_heatmap,
    routing_rows,
    token_path,
    token_path_rows,
)
from glassbox.charts.memorisation import memorisation_curve, memorisation_curve_rows
from glassbox.charts.poll import CLASS_GUESS_LABELS, class_guesses, class_guesses_rows
from glassbox.charts.pushed import PUSHED_LABELS, pushed_bars, pushed_bars_rows
from glassbox.charts.ranked import (
    domain_usage_busiest,
    domain_usage_busiest_rows,
    expert_load_busiest,
    expert_load_busiest_rows,
    routing_choices,
    routing_choices_rows,
    token_path_choices,
    token_path_choices_rows,
    wide,
)
from glassbox.charts.style import (
    COMPARE_LABELS,
    COUNT_LABELS,
    DOMAIN_USAGE_LABELS,
    EXPERT_LOAD_LABELS,
    HEATMAP_SCALE,
    LEVEL_COLOURS,
    LOSS_LABELS,
    MEMORISATION_LABELS,
    NEXT_TOKEN_LABELS,
    PALETTE,
    ROUTING_LABELS,
    TOKEN_PATH_LABELS,
    display_label,
    distinctiveness_level,
    unique_labels,
)

__all__ = [
    "card_guesses",
    "card_guesses_rows",
    "CLASS_GUESS_LABELS",
    "class_guesses",
    "class_guesses_rows",
    "COMPARE_LABELS",
    "COUNT_LABELS",
    "DOMAIN_USAGE_LABELS",
    "EXPERT_LOAD_LABELS",
    "HEATMAP_SCALE",
    "LEVEL_COLOURS",
    "LOSS_LABELS",
    "MEMORISATION_LABELS",
    "NEXT_TOKEN_LABELS",
    "PALETTE",
    "PUSHED_LABELS",
    "pushed_bars",
    "pushed_bars_rows",
    "ROUTING_LABELS",
    "TOKEN_PATH_LABELS",
    "compare_distributions",
    "compare_rows",
    "display_label",
    "distinctiveness_level",
    "domain_usage",
    "domain_usage_rows",
    "domain_usage_busiest",
    "domain_usage_busiest_rows",
    "expert_load",
    "expert_load_rows",
    "expert_load_busiest",
    "expert_load_busiest_rows",
    "loss_curve",
    "loss_curve_rows",
    "memorisation_curve",
    "memorisation_curve_rows",
    "next_token_bars",
    "next_token_rows",
    "routing_heatmap",
    "routing_rows",
    "routing_choices",
    "routing_choices_rows",
    "token_counts",
    "token_counts_rows",
    "token_path",
    "token_path_rows",
    "token_path_choices",
    "token_path_choices_rows",
    "wide",
    "unique_labels",
]
