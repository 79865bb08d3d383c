"""Customer sentiment from VADER, the standard lexicon-and-rules scorer for short social text.

VADER handles what customers actually type in chat (capitals, "!!!", "not good", emoji)
and needs no training data, which suits short WhatsApp/SMS messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from statistics import mean
from typing import Sequence

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


@dataclass(frozen=True)
class SentimentReading:
    """Compound scores in [-1, 1]: the latest message and the mean of the recent window."""

    latest: float
    window_mean: float
    window_size: int


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def compound(text: str) -> float:
    return float(_analyzer().polarity_scores(text)["compound"])


def read_sentiment(recent_texts: Sequence[str], window: int) -> SentimentReading:
    """Score the last ``window`` customer messages (oldest first, latest last)."""
    texts = [text for text in recent_texts if text.strip()][-window:]
    if not texts:
        return SentimentReading(latest=0.0, window_mean=0.0, window_size=0)
    scores = [compound(text) for text in texts]
    return SentimentReading(latest=scores[-1], window_mean=round(mean(scores), 4), window_size=len(scores))
