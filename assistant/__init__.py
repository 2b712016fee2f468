"""问数 Wenshu: natural-language queries over the 12351 hotline and union-post databases."""
__version__ = "0.1.0"
