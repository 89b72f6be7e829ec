"""kjhdz-docs: documents and archive for 全国科技活动周 (National Science and Technology Week)."""

__version__ = "0.1.0"
