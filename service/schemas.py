"""Request and response bodies of the API.

Requests reject unknown fields (`extra="forbid"`): a misspelt field would otherwise be
silently ignored, and a routing system must learn about its mistake. Limits that come from
settings (text length, batch size) are checked in `service.limits`, after these models.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from classifier.taxonomy import CATEGORIES, NONE, URGENCY_LEVELS, most_serious
from service.examples import (
    BATCH_EXAMPLES,
    FEEDBACK_EXAMPLES,
    RESULT_EXAMPLE,
    SCORE_EXAMPLES,
)

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Urgency = Literal[URGENCY_LEVELS]  # type: ignore[valid-type]
ReportId = Annotated[str, Field(min_length=1, max_length=200, description="The caller's report id.")]


class ReportMetadata(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str | None = Field(None, max_length=100, description="Where the report came in.")
    platform: str | None = Field(None, max_length=100, description="The platform it is about.")
    reported_url: str | None = Field(None, max_length=2048, description="The reported link.")
    # strict: lax mode would read `true` as age 1 and "11" as 11; an age must be a JSON integer.
    victim_age: int | None = Field(
        None, ge=0, le=120, strict=True,
        description="A stated age of the child; under 13 raises urgency.",
    )


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": SCORE_EXAMPLES})

    id: ReportId
    # min_length also makes pydantic check the string is valid Unicode: a lone surrogate
    # ("\ud800" in the JSON) is a 422 here instead of a 500 when the audit store hashes it.
    text: str = Field(
        min_length=1,
        description="The report as written, Vietnamese; at most TRIAGE_MAX_TEXT_CHARS "
        "(default 20,000) characters, not empty."
    )
    metadata: ReportMetadata = Field(default_factory=ReportMetadata)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("text is empty or only whitespace")
        return text


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": BATCH_EXAMPLES})

    reports: list[ReportIn] = Field(
        min_length=1, description="At most TRIAGE_MAX_BATCH (default 256) reports."
    )


class ScoreResult(BaseModel):
    """The classifier's result record, as `TriageModel.score_reports` returns it."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [RESULT_EXAMPLE]})

    id: str
    primary: str
    categories: list[str]
    scores: dict[str, float]
    urgency: str
    urgency_scores: dict[str, float]
    priority: float = Field(description="0..1, for ordering the queue; urgency dominates.")
    needs_review: bool
    signals: list[str]
    explanation: dict[str, list[str]]
    model_version: str
    latency_ms: float | None = Field(None, description="Time spent serving this request.")


class BatchResult(BaseModel):
    results: list[ScoreResult] = Field(description="In the order of the request's reports.")
    latency_ms: float


class FeedbackIn(BaseModel):
    """A reviewer's correction of a scored report, checked against the taxonomy."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": FEEDBACK_EXAMPLES})

    id: ReportId
    categories: list[Category] = Field(min_length=1)
    primary: Category
    urgency: Urgency
    reviewer: str = Field(min_length=1, max_length=100)
    note: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> FeedbackIn:
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("categories lists a category twice")
        if NONE in self.categories and len(self.categories) > 1:
            raise ValueError("`none` must be the only category when present")
        if self.primary not in self.categories:
            raise ValueError(f"primary {self.primary!r} is not in categories")
        if self.primary != most_serious(self.categories):
            raise ValueError(
                f"primary must be {most_serious(self.categories)!r}, the most serious of the categories"
            )
        if self.categories == [NONE] and self.urgency != "low":
            raise ValueError("a `none` report must have urgency `low`")
        return self


class FeedbackOut(BaseModel):
    feedback_id: int
    id: str
    received_at: str


class ReloadIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"model_uri": "models:/vi-report-triage@champion"}]},
    )

    model_uri: str | None = Field(
        None, min_length=1, max_length=2048,
        description="A model directory or models:/ URI; default: the one serving now.",
    )


class ReloadOut(BaseModel):
    model_version: str
    model_uri: str
    previous_version: str | None


class ReadyOut(BaseModel):
    status: str
    model_version: str | None
    model_uri: str | None


class ErrorOut(BaseModel):
    """Every error but 422: what went wrong, never an echo of the report."""

    detail: str


class Problem(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is, e.g. [\"body\", \"text\"].")
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """A 422: one entry per problem, without the offending input."""

    detail: list[Problem]


class ModelOut(BaseModel):
    model_version: str
    model_uri: str
    trained_at: str | None
    loaded_at: str
    labels: list[str]
    urgency_levels: list[str]
    thresholds: dict[str, float]
    critical_threshold: float | None
    metrics: dict[str, Any] = Field(description="Held-out evaluation recorded at training.")
