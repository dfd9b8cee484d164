"""Generate a deterministic demo event log with planted behavioural segments.

The log looks like a small commerce app (signups, app opens, browsing, funnels, purchases,
feature usage) and every user carries one *planted* behaviour (``champion``, ``churned``,
``power_user``, ...) chosen so that the default definitions in ``docs/definitions.md``
recover it. The planted labels go to a second Parquet file, which the integration tests use
as ground truth.

On top of the main behaviour a user may carry any number of *secondary traits*
(``weekend_buyer``, ``night_owl``, ``premium``, ``visitor``, ... see ``TRAITS`` and
``docs/segments/demo_traits.md``), each planted strongly enough that any sensible definition
recovers it. They go to a third file, ``traits.parquet`` (user_id, trait; one row per trait).
Traits that reshape a user's days (order dates, first weeks, activity decline) are planted on
``casual`` users only, who promise nothing else; traits that only touch events (hour, discount,
price, features, journey) go to any user whose main behaviour they cannot move.

Design notes (why it looks the way it does):

* Users are generated in chunks; each chunk is fully vectorised numpy and is appended to one
  Parquet file through ``ParquetWriter``, so memory stays bounded at 100M+ events.
* Each chunk draws from ``numpy.random.default_rng([seed, chunk_index])``, so the output is
  byte-for-byte reproducible for the same (seed, n_users, dates, chunk_users).
* Generation works in three layers: *days* (which dates a user is active, and whether the day
  has a purchase / an abandoned cart), *sessions* (1-3 per active day, chained in time) and
  *events* (signup, app_open, browsing, then the funnel at the end of the last session).
* All timing is expressed as an *age* relative to ``end_date`` (age 0 = end_date), exactly
  like the definitions, so a planted window reads the same as the rule it must satisfy.
* A small deterministic share of noise (exact duplicates, re-deliveries, quarantinable rows)
  exercises the staging layer; it is only ever attached to ``casual`` users or to a null
  user, so it cannot move a planted user's segment.

Run: ``python -m scripts.generate_events --users 10000 --out data/demo``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

# --------------------------------------------------------------------------------------
# Static vocabulary
# --------------------------------------------------------------------------------------

EVENT_NAMES: tuple[str, ...] = (
    "signup",  # 0
    "app_open",  # 1
    "page_view",  # 2
    "product_view",  # 3
    "search",  # 4
    "add_to_cart",  # 5
    "checkout_start",  # 6
    "purchase",  # 7
    "use_wishlist",  # 8
    "use_compare",  # 9
    "share_product",  # 10
    "write_review",  # 11
    "refer_friend",  # 12
    "export_list",  # 13
)
SIGNUP, APP_OPEN, PAGE_VIEW, PRODUCT_VIEW, SEARCH, ADD_TO_CART, CHECKOUT_START, PURCHASE = range(8)
FIRST_FEATURE = 8
FEATURE_WEIGHTS = np.array([0.34, 0.2, 0.2, 0.12, 0.06, 0.08])

PLATFORMS: tuple[str, ...] = ("ios", "android", "web")
PLATFORM_WEIGHTS = np.array([0.45, 0.35, 0.20])
APP_VERSIONS: tuple[str, ...] = ("5.1.0", "5.2.3", "5.3.1", "6.0.0")
CHANNELS: tuple[str, ...] = ("organic", "paid_search", "social", "referral", "email")
CHANNEL_WEIGHTS = np.array([0.4, 0.25, 0.15, 0.12, 0.08])
PAGES: tuple[str, ...] = (
    "/", "/home", "/deals", "/new-arrivals", "/category/shoes", "/category/outdoor",
    "/category/kitchen", "/category/electronics", "/account", "/help",
)
QUERIES: tuple[str, ...] = (
    "running shoes", "rain jacket", "coffee grinder", "usb-c cable", "yoga mat", "backpack",
    "headphones", "water bottle", "desk lamp", "gift card", "tent", "chef knife",
    "wool socks", "phone case", "air fryer", "sunglasses", "notebook", "bike light",
    "towel set", "board game",
)
DISCOUNT_CODES: tuple[tuple[str, float], ...] = (
    ("SPRING10", 0.10), ("WELCOME15", 0.15), ("FLASH20", 0.20), ("VIP25", 0.25),
)
QUANTITY_WEIGHTS = np.array([0.78, 0.17, 0.05])  # 1, 2, 3 items
N_PRODUCTS = 400

# Relative weekday activity (Mon..Sun) and the hour a day's first session starts.
WEEKDAY_WEIGHTS = np.array([0.93, 0.86, 0.87, 0.89, 0.92, 1.0, 0.97])
HOUR_WEIGHTS = np.array([
    0.5, 0.3, 0.15, 0.1, 0.1, 0.25, 0.8, 1.7, 2.6, 2.8, 2.6, 2.6,
    3.1, 2.9, 2.4, 2.3, 2.4, 2.8, 3.3, 3.8, 3.9, 3.3, 2.0, 1.0,
])
LAST_EVENT_SECOND = 86_340  # 23:59:00; leaves room for re-deliveries shifted by <= 59 s

# Noise shares (of original rows) and bad rows per chunk.
DUPLICATE_SHARE = 0.003
REDELIVERY_SHARE = 0.002
BAD_ROWS_PER_KIND = 2  # per slice of about a million events
SLICE_DAYS = 160_000  # active user-days per slice (~6 events each)
NOISE_ORIGINAL, NOISE_DUPLICATE, NOISE_REDELIVERY, BAD_NULL_USER, BAD_EPOCH, BAD_NEGATIVE = range(6)

MIN_HISTORY_DAYS = 365  # the planted windows look back up to 360 days

# --------------------------------------------------------------------------------------
# Secondary traits (docs/segments/demo_traits.md)
# --------------------------------------------------------------------------------------

TRAITS: tuple[str, ...] = (
    # day-plan traits: planted on casual users, who get a dedicated day plan
    "weekend_buyer",  # >= 3 orders, all on Saturday / Sunday (also every weekend_shopper)
    "weekday_buyer",  # >= 3 orders, none on Saturday / Sunday
    "holiday_buyer",  # >= 3 orders, all ON a core US holiday (us_core_holidays)
    "summer_buyer",  # >= 3 orders, all in June / July / August
    "winter_buyer",  # >= 3 orders, all in December / January / February
    "fast_starter",  # an order of >= 225 revenue on the first day seen (first seen >= 60 days ago)
    "slow_starter",  # no order in the first 20 days, first seen >= 60 days ago, buys later
    "declining_engagement",  # >= 10 active days and 6-9 orders at ages 29..56, <= 1 day at 0..27, none at 28
    # event traits: planted on any user whose main behaviour they cannot move
    "visitor",  # no signup, app_open, feature, cart or purchase event: browsing only
    "signed_up_only",  # a signup, then browsing only (page_view / product_view / search)
    "night_owl",  # >= 2 orders; every event of the user between 00:00 and 05:59 UTC
    "morning_buyer",  # >= 2 orders; every event of the user between 06:00 and 11:59 UTC
    "discount_driven",  # >= 3 orders, every one with a discount_code
    "full_price",  # >= 3 orders, none with a discount_code
    "premium",  # >= 1 order; every purchased item has a list price >= 100
    "budget",  # >= 1 order; every purchased item has a list price < 20
    "multi_feature_adopter",  # >= 12 active days, one feature event a day cycling all 6 features
    "no_feature",  # never a feature event (use_*, share_product, write_review, refer_friend, export_list)
    "advocate",  # >= 10 write_review / refer_friend events, on the user's 10 latest active days
)
TRAIT_BIT: dict[str, int] = {t: 1 << i for i, t in enumerate(TRAITS)}
DAY_TRAITS: tuple[str, ...] = TRAITS[:8]
ORDER_DATE_TRAITS: tuple[str, ...] = TRAITS[:5]
JOURNEY_TRAITS = TRAIT_BIT["visitor"] | TRAIT_BIT["signed_up_only"]
# Share of ALL users for each day-plan trait; drawn among casual users (share / casual share).
# Kept small so that casual users still look casual (about 55-70% of them buy).
DAY_TRAIT_SHARES: dict[str, float] = {
    "weekend_buyer": 0.008, "weekday_buyer": 0.012, "holiday_buyer": 0.012, "summer_buyer": 0.012,
    "winter_buyer": 0.012, "fast_starter": 0.012, "slow_starter": 0.012, "declining_engagement": 0.012,
}
# Event traits: probability among the *eligible* users (see _assign_event_traits).
EVENT_TRAIT_RATES: dict[str, float] = {
    "visitor": 0.08, "signed_up_only": 0.08, "night_owl": 0.08, "morning_buyer": 0.08,
    "discount_driven": 0.08, "full_price": 0.08, "premium": 0.05, "budget": 0.05,
    "multi_feature_adopter": 0.08, "no_feature": 0.03, "advocate": 0.05,
}
# Main behaviours that may be visitors / signed_up_only when their plan has no order and no cart
# (the others promise orders or an abandoned cart).
JOURNEY_HOSTS: tuple[str, ...] = (
    "casual", "declining", "churned", "reactivated", "new_user", "power_user", "light_user",
)
PREMIUM_MIN_PRICE = 100.0  # premium: every item >= this list price
BUDGET_MAX_PRICE = 20.0  # budget: every item < this list price
MIN_BAND_PRODUCTS = 10  # the catalogue keeps at least this many premium and budget products
FAST_START_QTY = 3  # fast_starter's first-day order: 3 items of a premium product (>= 225 after 25% off)
ADVOCATE_DAYS = 10  # advocate: one write_review / refer_friend on each of the latest 10 active days
MULTI_FEATURE_MIN_DAYS = 12  # multi_feature_adopter: 6 features, each on >= 2 days
N_FEATURES = 6


def us_core_holidays(year: int) -> list[date]:
    """The six US public holidays every US holiday calendar has, on their actual dates.

    New Year's Day (Jan 1), Memorial Day (last Monday of May), Independence Day (Jul 4),
    Labor Day (first Monday of September), Thanksgiving (fourth Thursday of November) and
    Christmas Day (Dec 25). ``holiday_buyer`` orders are placed ON these dates (never on an
    observed substitute day); in 2023-07-01..2024-06-30 that is 2023-07-04, 2023-09-04,
    2023-11-23, 2023-12-25, 2024-01-01 and 2024-05-27. The other federal holidays (MLK,
    Presidents', Juneteenth, Columbus, Veterans) are left out on purpose: not every calendar
    counts them, and a holiday order must count under any sensible calendar.
    """
    def nth_weekday(month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return date(year, month, 1 + (weekday - first.weekday()) % 7 + 7 * (n - 1))

    may31 = date(year, 5, 31)
    memorial = date(year, 5, 31 - (may31.weekday() - 0) % 7)
    return sorted([
        date(year, 1, 1), memorial, date(year, 7, 4), nth_weekday(9, 0, 1),
        nth_weekday(11, 3, 4), date(year, 12, 25),
    ])


@dataclass(frozen=True)
class BehaviorProfile:
    """Per-behaviour taste: order values, discount use, browsing depth, feature use."""

    share: float
    price_mu: float  # lognormal order value (log of a typical product price)
    price_sigma: float
    discount_rate: float  # share of orders with a discount code
    browse_mean: float  # mean browsing events per session (besides app_open / funnel)
    feature_share: float  # share of browsing events that are feature events
    extra_session: float  # chance of a 2nd session on an active day


PROFILES: dict[str, BehaviorProfile] = {
    "casual": BehaviorProfile(0.35, 3.7, 0.55, 0.12, 2.6, 0.07, 0.20),
    "champion": BehaviorProfile(0.04, 4.6, 0.45, 0.10, 3.8, 0.12, 0.35),
    "loyal": BehaviorProfile(0.06, 4.1, 0.45, 0.12, 3.2, 0.10, 0.30),
    "one_time_buyer": BehaviorProfile(0.10, 3.7, 0.50, 0.15, 2.2, 0.04, 0.12),
    "bargain_hunter": BehaviorProfile(0.04, 3.0, 0.40, 1.00, 3.2, 0.08, 0.25),
    "weekend_shopper": BehaviorProfile(0.04, 3.9, 0.50, 0.10, 2.8, 0.08, 0.20),
    "declining": BehaviorProfile(0.05, 3.8, 0.50, 0.10, 2.8, 0.08, 0.22),
    "churned": BehaviorProfile(0.08, 3.6, 0.50, 0.12, 2.4, 0.05, 0.15),
    "reactivated": BehaviorProfile(0.04, 3.8, 0.50, 0.12, 2.8, 0.07, 0.20),
    "new_user": BehaviorProfile(0.04, 3.7, 0.50, 0.20, 3.0, 0.06, 0.25),
    "cart_abandoner": BehaviorProfile(0.04, 3.8, 0.50, 0.12, 2.8, 0.06, 0.20),
    "power_user": BehaviorProfile(0.04, 3.9, 0.50, 0.10, 4.5, 0.20, 0.50),
    "light_user": BehaviorProfile(0.08, 3.5, 0.50, 0.10, 1.8, 0.04, 0.08),
}
BEHAVIORS: tuple[str, ...] = tuple(PROFILES)
BEHAVIOR_INDEX: dict[str, int] = {b: i for i, b in enumerate(BEHAVIORS)}
CASUAL = BEHAVIOR_INDEX["casual"]

EVENTS_SCHEMA = pa.schema([
    ("event_id", pa.string()),
    ("user_id", pa.string()),
    ("event_name", pa.string()),
    ("event_ts", pa.timestamp("us")),
    ("session_id", pa.string()),
    ("revenue", pa.float64()),
    ("order_id", pa.string()),
    ("properties", pa.string()),
])
LABELS_SCHEMA = pa.schema([("user_id", pa.string()), ("planted_behavior", pa.string())])
TRAITS_SCHEMA = pa.schema([("user_id", pa.string()), ("trait", pa.string())])

# Day flags (bits) carried from the day plan to event expansion.
F_PURCHASE, F_ABANDON, F_DISCOUNT, F_BIG = 1, 2, 4, 8  # F_BIG: fast_starter's first-day order


@dataclass(frozen=True)
class GeneratedData:
    """Where the generator wrote its files and what they contain."""

    events_path: Path  # out_dir / "events.parquet"
    labels_path: Path  # out_dir / "planted_labels.parquet"
    traits_path: Path  # out_dir / "traits.parquet": (user_id, trait), one row per planted trait
    n_events: int  # rows written to events_path (incl. planted bad / duplicate rows)
    n_users: int
    start_date: date
    end_date: date  # the last day with events; the natural as_of


# --------------------------------------------------------------------------------------
# Calendar, catalogue and the JSON properties dictionary
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    """Maps ages (days before end_date) to weekdays and epoch days."""

    end_date: date
    max_age: int  # age of start_date

    @property
    def end_epoch_day(self) -> int:
        return (self.end_date - date(1970, 1, 1)).days

    def weekday(self, ages: np.ndarray) -> np.ndarray:
        """Monday = 0 ... Sunday = 6 for each age."""
        return (self.end_date.weekday() - ages) % 7

    def weekend_ages(self) -> np.ndarray:
        """Ascending ages that fall on a Saturday or Sunday."""
        ages = np.arange(self.max_age + 1)
        return ages[self.weekday(ages) >= 5]

    def month(self, ages: np.ndarray) -> np.ndarray:
        """Calendar month 1..12 for each age."""
        days = np.datetime64(self.end_date, "D") - np.asarray(ages).astype("timedelta64[D]")
        return days.astype("datetime64[M]").astype(np.int64) % 12 + 1

    def order_date_ages(self, trait: str) -> np.ndarray:
        """Ascending ages on which an order of an order-date ``trait`` may be placed."""
        ages = np.arange(self.max_age + 1)
        if trait == "weekend_buyer":
            return ages[self.weekday(ages) >= 5]
        if trait == "weekday_buyer":
            return ages[self.weekday(ages) < 5]
        if trait == "summer_buyer":
            return ages[np.isin(self.month(ages), (6, 7, 8))]
        if trait == "winter_buyer":
            return ages[np.isin(self.month(ages), (12, 1, 2))]
        if trait == "holiday_buyer":
            start = self.end_date.toordinal() - self.max_age
            holidays = [
                self.end_date.toordinal() - d.toordinal()
                for y in range(date.fromordinal(start).year, self.end_date.year + 1)
                for d in us_core_holidays(y)
            ]
            return np.array(sorted(a for a in holidays if 0 <= a <= self.max_age), dtype=np.int64)
        raise ValueError(trait)


@dataclass(frozen=True)
class _Catalog:
    """Products, and every distinct ``properties`` JSON text, addressed by integer codes.

    Building JSON per row would dominate the run time; instead every possible properties
    text is written once here and rows carry an index into ``texts``.
    """

    prices: np.ndarray  # list price per product, ascending
    popularity: np.ndarray  # cumulative browse probability per product
    budget_end: int  # products [0, budget_end) cost < BUDGET_MAX_PRICE
    premium_start: int  # products [premium_start, N_PRODUCTS) cost >= PREMIUM_MIN_PRICE
    texts: pa.Array  # all properties strings
    signup_at: int
    app_open_at: int
    page_at: int
    search_at: int
    product_at: int
    purchase_at: int
    feature_at: int


def _json_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _build_catalog(seed: int) -> _Catalog:
    """Deterministic product prices (lognormal, x.99 endings) and the properties dictionary."""
    rng = np.random.default_rng([seed, 0x5EED_CA7A])
    raw = np.exp(rng.normal(3.7, 0.85, N_PRODUCTS))
    prices = np.sort(np.clip(np.floor(raw) + 0.99, 1.99, 999.99)).round(2)
    # premium / budget traits need a few products in each band; for any realistic seed this
    # changes nothing (about 55 and 80 products), it only guards an extreme draw
    prices[-MIN_BAND_PRODUCTS:] = np.maximum(prices[-MIN_BAND_PRODUCTS:], PREMIUM_MIN_PRICE + 0.99)
    prices[:MIN_BAND_PRODUCTS] = np.minimum(prices[:MIN_BAND_PRODUCTS], BUDGET_MAX_PRICE - 0.01)
    prices = np.sort(prices)
    pop = rng.pareto(1.2, N_PRODUCTS) + 0.05
    popularity = np.cumsum(pop) / pop.sum()
    texts: list[str] = []

    def mark() -> int:
        return len(texts)

    signup_at = mark()
    for ch in CHANNELS:
        for pf in PLATFORMS:
            texts.append(f'{{"channel": {_json_str(ch)}, "platform": {_json_str(pf)}}}')
    app_open_at = mark()
    for pf in PLATFORMS:
        for v in APP_VERSIONS:
            texts.append(f'{{"platform": {_json_str(pf)}, "app_version": {_json_str(v)}}}')
    page_at = mark()
    texts.extend(f'{{"page": {_json_str(p)}}}' for p in PAGES)
    search_at = mark()
    texts.extend(f'{{"query": {_json_str(q)}}}' for q in QUERIES)
    product_at = mark()
    texts.extend(f'{{"product_id": "p{i:04d}", "price": {prices[i]:.2f}}}' for i in range(N_PRODUCTS))
    purchase_at = mark()
    for i in range(N_PRODUCTS):
        for qty in (1, 2, 3):
            base = f'"product_id": "p{i:04d}", "price": {prices[i]:.2f}, "quantity": {qty}'
            texts.append("{" + base + "}")
            texts.extend("{" + base + f', "discount_code": {_json_str(code)}' + "}" for code, _ in DISCOUNT_CODES)
    feature_at = mark()
    texts.extend(f'{{"feature": {_json_str(n.removeprefix("use_"))}}}' for n in EVENT_NAMES[FIRST_FEATURE:])
    return _Catalog(
        prices=prices, popularity=popularity, texts=pa.array(texts, pa.string()),
        budget_end=int(np.searchsorted(prices, BUDGET_MAX_PRICE, side="left")),
        premium_start=int(np.searchsorted(prices, PREMIUM_MIN_PRICE, side="left")),
        signup_at=signup_at, app_open_at=app_open_at, page_at=page_at, search_at=search_at,
        product_at=product_at, purchase_at=purchase_at, feature_at=feature_at,
    )


# --------------------------------------------------------------------------------------
# Vectorised helpers
# --------------------------------------------------------------------------------------


def _group_starts(counts: np.ndarray) -> np.ndarray:
    """Index of the first element of each group in a flat array built with ``np.repeat``."""
    starts = np.zeros(len(counts), dtype=np.int64)
    if len(counts) > 1:
        np.cumsum(counts[:-1], out=starts[1:])
    return starts


def _rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within each group of a flat array built with ``np.repeat(x, counts)``."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(_group_starts(counts), counts)


def _group_cumsum_exclusive(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` within each group, excluding the element itself."""
    cs = np.cumsum(values) - values
    return cs - np.repeat(cs[_group_starts(counts)], counts) if len(counts) else cs


def _distinct_ages(
    rng: np.random.Generator, users: np.ndarray, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each user, ``counts`` distinct ages in ``[lo, hi]`` (exact counts, no loops).

    Sorted draws y_1 <= ... <= y_k from [0, width - k] plus their rank 0..k-1 are strictly
    increasing inside [0, width - 1]: distinct without rejection sampling.
    """
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), users.shape)
    hi = np.broadcast_to(np.asarray(hi, dtype=np.int64), users.shape)
    width = np.maximum(hi - lo + 1, 0)
    counts = np.clip(np.asarray(counts, dtype=np.int64), 0, width)
    owner = np.repeat(np.arange(len(users), dtype=np.int64), counts)
    if owner.size == 0:
        return users[owner], owner
    y = rng.integers(0, np.repeat(width - counts, counts) + 1)
    span = int(width.max()) + 1
    key = np.sort(owner * span + y)
    ages = np.repeat(lo, counts) + key % span + _rank_in_group(counts)
    return users[owner], ages


def _background_days(
    rng: np.random.Generator, cal: _Calendar, users: np.ndarray, lo: np.ndarray, hi: np.ndarray,
    density: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Unconstrained filler activity at roughly ``density`` of the days in ``[lo, hi]``.

    Days are thinned by weekday weight so weekends look busier than Tuesdays.
    """
    width = np.maximum(np.asarray(hi) - np.asarray(lo) + 1, 0)
    counts = np.round(density * width).astype(np.int64)
    u, a = _distinct_ages(rng, users, counts, lo, hi)
    keep = rng.random(a.size) < WEEKDAY_WEIGHTS[cal.weekday(a)]
    return u[keep], a[keep]


def _chain_days(
    rng: np.random.Generator, users: np.ndarray, start: np.ndarray, stop: np.ndarray, gap_lo: int, gap_hi: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Regular visits: ages ``start``, ``start + g1``, ... (each gap in [gap_lo, gap_hi]) up to ``stop``.

    Used where a behaviour promises *no long silence*, which random filler cannot guarantee.
    """
    start = np.broadcast_to(np.asarray(start, dtype=np.int64), users.shape)
    stop = np.broadcast_to(np.asarray(stop, dtype=np.int64), users.shape)
    steps = int(np.max(stop - start, initial=0)) // gap_lo + 2
    gaps = rng.integers(gap_lo, gap_hi + 1, size=(users.size, steps))
    gaps[:, 0] = 0
    ages = start[:, None] + np.cumsum(gaps, axis=1)
    mask = ages <= stop[:, None]
    return np.repeat(users, mask.sum(axis=1)), ages[mask]


# --------------------------------------------------------------------------------------
# Day plans per planted behaviour
# --------------------------------------------------------------------------------------


@dataclass
class _Days:
    """A set of (user, age, flags) active days; pieces are merged later."""

    user: np.ndarray
    age: np.ndarray
    flags: np.ndarray

    @staticmethod
    def of(user: np.ndarray, age: np.ndarray, flags: int | np.ndarray = 0) -> "_Days":
        flags_arr = np.broadcast_to(np.asarray(flags, dtype=np.uint8), np.shape(age)).copy()
        return _Days(np.asarray(user, np.int64), np.asarray(age, np.int64), flags_arr)


def _purchases(
    rng: np.random.Generator, user: np.ndarray, age: np.ndarray, discount_rate: float
) -> _Days:
    """Purchase days; each order carries a discount code with ``discount_rate``."""
    disc = (rng.random(age.size) < discount_rate).astype(np.uint8) * F_DISCOUNT
    return _Days.of(user, age, F_PURCHASE | disc)


def _uniform_int(rng: np.random.Generator, lo: int | np.ndarray, hi: int | np.ndarray, n: int) -> np.ndarray:
    """Integers in the closed range [lo, hi] (both may be arrays)."""
    return rng.integers(lo, np.asarray(hi) + 1, size=n)


def _subset(rng: np.random.Generator, users: np.ndarray, share: float) -> np.ndarray:
    return users[rng.random(users.size) < share]


PlanFn = Callable[[np.random.Generator, _Calendar, np.ndarray], list[_Days]]


def _plan_champion(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """12-30 orders over a long history, one in the last 6 days; busy on many days."""
    n, m = users.size, cal.max_age
    first = _uniform_int(rng, 150, m, n)
    bg = _background_days(rng, cal, users, 0, first - 1, rng.uniform(0.25, 0.5, n))
    orders = _uniform_int(rng, 12, 30, n)
    old = _distinct_ages(rng, users, orders - 1, 6, first)
    recent = _uniform_int(rng, 0, 5, n)
    rate = PROFILES["champion"].discount_rate
    return [_Days.of(users, first), _Days.of(*bg), _purchases(rng, *old, rate), _purchases(rng, users, recent, rate)]


def _plan_loyal(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """6-12 orders, the latest 6-25 days ago."""
    n, m = users.size, cal.max_age
    first = _uniform_int(rng, 120, m, n)
    bg = _background_days(rng, cal, users, 0, first - 1, rng.uniform(0.08, 0.2, n))
    last = _uniform_int(rng, 6, 25, n)
    older = _distinct_ages(rng, users, _uniform_int(rng, 5, 11, n), last + 1, first)
    rate = PROFILES["loyal"].discount_rate
    return [_Days.of(users, first), _Days.of(*bg), _purchases(rng, users, last, rate), _purchases(rng, *older, rate)]


def _plan_one_time_buyer(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """One order 60-300 days ago, a little browsing, nothing in the last 40 days."""
    n, m = users.size, cal.max_age
    bought = _uniform_int(rng, 60, 300, n)
    first = _uniform_int(rng, bought, np.minimum(bought + 90, m), n)
    browse = _distinct_ages(rng, users, _uniform_int(rng, 0, 5, n), 40, first)
    rate = PROFILES["one_time_buyer"].discount_rate
    return [_Days.of(users, first), _Days.of(*browse), _purchases(rng, users, bought, rate)]


def _plan_bargain_hunter(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """3-8 cheap orders; all carry a discount code except at most one of >= 5 orders."""
    n, m = users.size, cal.max_age
    first = _uniform_int(rng, 90, m, n)
    bg = _background_days(rng, cal, users, 0, first - 1, rng.uniform(0.05, 0.15, n))
    orders = _uniform_int(rng, 3, 8, n)
    pu, pa_ = _distinct_ages(rng, users, orders, 6, first)
    rank = _rank_in_group(orders)
    # one order without a code for half of the users with >= 5 orders (>= 80% still coded)
    full_price = np.where((orders >= 5) & (rng.random(n) < 0.5), rng.integers(0, orders), -1)
    disc = np.where(rank == np.repeat(full_price, orders), 0, F_DISCOUNT).astype(np.uint8)
    return [_Days.of(users, first), _Days.of(*bg), _Days.of(pu, pa_, F_PURCHASE | disc)]


def _plan_weekend_shopper(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """3-8 orders, every one on a Saturday or Sunday; browsing on any day."""
    n, m = users.size, cal.max_age
    first = _uniform_int(rng, 90, m, n)
    bg = _background_days(rng, cal, users, 0, first - 1, rng.uniform(0.04, 0.12, n))
    weekend = cal.weekend_ages()
    lo_i = np.searchsorted(weekend, 6)
    hi_i = np.searchsorted(weekend, first, side="right") - 1
    pu, idx = _distinct_ages(rng, users, _uniform_int(rng, 3, 8, n), lo_i, hi_i)
    rate = PROFILES["weekend_shopper"].discount_rate
    return [_Days.of(users, first), _Days.of(*bg), _purchases(rng, pu, weekend[idx], rate)]


def _plan_declining(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """Busy 28-55 days ago (16-24 days incl. day 28), then only 1-4 days in the last 28.

    Day 28 is always active and recent days have age >= 1, so the gap into the recent
    window is at most 27 days: ``at_risk``, never ``reactivated``.
    """
    n, m = users.size, cal.max_age
    first = _uniform_int(rng, 120, m, n)
    prev = _distinct_ages(rng, users, _uniform_int(rng, 15, 23, n), 29, 55)
    recent_anchor = _uniform_int(rng, 1, 6, n)
    recent = _distinct_ages(rng, users, _uniform_int(rng, 0, 3, n), 1, 27)
    early = _chain_days(rng, users, 56 + rng.integers(0, 4, n), first, 1, 12)
    buyers = _subset(rng, users, 0.4)
    bought = _distinct_ages(rng, buyers, rng.integers(1, 4, buyers.size), 56, first[np.searchsorted(users, buyers)])
    return [
        _Days.of(users, first), _Days.of(users, np.full(n, 28)), _Days.of(*prev),
        _Days.of(users, recent_anchor), _Days.of(*recent), _Days.of(*early),
        _purchases(rng, *bought, PROFILES["declining"].discount_rate),
    ]


def _plan_churned(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """Joined >= 200 days ago, last seen 120-360 days ago."""
    n, m = users.size, cal.max_age
    last = _uniform_int(rng, 120, min(360, m - 10), n)
    first = _uniform_int(rng, np.maximum(200, last + 10), m, n)
    bg = _background_days(rng, cal, users, last + 1, first - 1, rng.uniform(0.05, 0.3, n))
    buyers = _subset(rng, users, 0.5)
    pos = np.searchsorted(users, buyers)
    bought = _distinct_ages(rng, buyers, rng.integers(1, 5, buyers.size), last[pos], first[pos])
    return [
        _Days.of(users, first), _Days.of(users, last), _Days.of(*bg),
        _purchases(rng, *bought, PROFILES["churned"].discount_rate),
    ]


def _plan_reactivated(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """Regular early, silent for 45-90 days, back 3-20 days ago for 2-6 days."""
    n, m = users.size, cal.max_age
    back = _uniform_int(rng, 3, 20, n)
    returns = _distinct_ages(rng, users, np.minimum(_uniform_int(rng, 1, 5, n), back), 0, back - 1)
    left = back + _uniform_int(rng, 45, 90, n)
    first = _uniform_int(rng, np.maximum(150, left + 30), m, n)
    early = _chain_days(rng, users, left, first, 1, 9)
    buyers = _subset(rng, users, 0.5)
    pos = np.searchsorted(users, buyers)
    bought = _distinct_ages(rng, buyers, rng.integers(1, 4, buyers.size), left[pos], first[pos])
    return [
        _Days.of(users, first), _Days.of(users, left), _Days.of(users, back), _Days.of(*returns),
        _Days.of(*early), _purchases(rng, *bought, PROFILES["reactivated"].discount_rate),
    ]


def _plan_new_user(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """Signed up in the last 10 days; a quarter buy once."""
    n = users.size
    first = _uniform_int(rng, 0, 9, n)
    more = _distinct_ages(rng, users, _uniform_int(rng, 0, 5, n), 0, first - 1)
    buyer = rng.random(n) < 0.25
    bought_age = _uniform_int(rng, 0, first, n)
    rate = PROFILES["new_user"].discount_rate
    return [_Days.of(users, first), _Days.of(*more), _purchases(rng, users[buyer], bought_age[buyer], rate)]


def _plan_cart_abandoner(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """An add_to_cart in the last 11 days with no purchase after it; maybe older orders."""
    n, m = users.size, cal.max_age
    first = _uniform_int(rng, 30, m, n)
    abandoned = _uniform_int(rng, 0, 10, n)
    bg = _background_days(rng, cal, users, 0, first - 1, rng.uniform(0.05, 0.2, n))
    buyers = _subset(rng, users, 0.5)
    bought = _distinct_ages(rng, buyers, rng.integers(1, 4, buyers.size), 11, first[np.searchsorted(users, buyers)])
    return [
        _Days.of(users, first), _Days.of(users, abandoned, F_ABANDON), _Days.of(*bg),
        _purchases(rng, *bought, PROFILES["cart_abandoner"].discount_rate),
    ]


def _plan_power_user(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """Active on 23-28 of the last 28 days (always today), long and dense tenure."""
    n, m = users.size, cal.max_age
    first = _uniform_int(rng, 60, m, n)
    recent = _distinct_ages(rng, users, 27 - _uniform_int(rng, 0, 5, n), 1, 27)
    earlier = _chain_days(rng, users, np.full(n, 29), first, 1, 4)
    buyers = _subset(rng, users, 0.4)
    bought = _distinct_ages(rng, buyers, rng.integers(1, 5, buyers.size), 6, first[np.searchsorted(users, buyers)])
    return [
        _Days.of(users, first), _Days.of(users, np.zeros(n)), _Days.of(users, np.full(n, 28)),
        _Days.of(*recent), _Days.of(*earlier), _purchases(rng, *bought, PROFILES["power_user"].discount_rate),
    ]


def _plan_light_user(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """A visit every 10-19 days for months: 1-3 days in the last 28, never a 20-day gap."""
    n, m = users.size, cal.max_age
    steps = m // 10 + 2
    gaps = rng.integers(10, 20, size=(n, steps))
    gaps[:, 0] = rng.integers(0, 10, size=n)  # the latest visit: age 0..9
    ages = np.cumsum(gaps, axis=1)
    cap = _uniform_int(rng, 110, m, n)
    mask = ages <= cap[:, None]
    counts = mask.sum(axis=1)
    user_rep, age_flat = np.repeat(users, counts), ages[mask]
    buyer = rng.random(n) < 0.15
    pick = rng.integers(3, counts)  # visit #3 or older: age >= 30
    bought = ages[np.arange(n), pick]
    rate = PROFILES["light_user"].discount_rate
    return [_Days.of(user_rep, age_flat), _purchases(rng, users[buyer], bought[buyer], rate)]


def _plan_casual(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """Everyone else: random tenure and recency, about half buy 1-5 times."""
    n, m = users.size, cal.max_age
    first = _uniform_int(rng, 20, m, n)
    bucket = rng.random(n)
    last = np.where(
        bucket < 0.45, _uniform_int(rng, 0, 27, n),
        np.where(bucket < 0.7, _uniform_int(rng, 28, 89, n), _uniform_int(rng, 90, m, n)),
    )
    last = np.minimum(last, first)
    bg = _background_days(rng, cal, users, last + 1, first - 1, rng.uniform(0.02, 0.2, n))
    buyer = rng.random(n) < 0.55
    orders = np.minimum(rng.geometric(0.5, n), 5)
    bought = _distinct_ages(rng, users[buyer], orders[buyer], last[buyer], first[buyer])
    abandon = rng.random(n) < 0.1
    abandoned = _uniform_int(rng, last, first, n)
    return [
        _Days.of(users, first), _Days.of(users, last), _Days.of(*bg),
        _purchases(rng, *bought, PROFILES["casual"].discount_rate),
        _Days.of(users[abandon], abandoned[abandon], F_ABANDON),
    ]


# ------------------------------------------------------------------ day plans of trait hosts
# Casual users carrying a day-plan trait get one of these plans instead of _plan_casual:
# a casual-looking history (long tenure, random background days) whose orders obey the trait.


def _casual_frame(
    rng: np.random.Generator, cal: _Calendar, users: np.ndarray, first_lo: int, last_hi: int,
) -> tuple[np.ndarray, np.ndarray, list[_Days]]:
    """First seen in [first_lo, max_age], last seen in [0, last_hi], filler in between."""
    n, m = users.size, cal.max_age
    first = _uniform_int(rng, min(first_lo, m), m, n)
    last = np.minimum(_uniform_int(rng, 0, last_hi, n), first - 1)
    bg = _background_days(rng, cal, users, last + 1, first - 1, rng.uniform(0.02, 0.15, n))
    return first, last, [_Days.of(users, first), _Days.of(users, last), _Days.of(*bg)]


def _plan_order_dates(trait: str) -> PlanFn:
    """3-6 orders, each on an age allowed by ``trait`` (weekend, weekday, holiday, season)."""

    def plan(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
        first, last, frame = _casual_frame(rng, cal, users, 330, 45)
        allowed = cal.order_date_ages(trait)
        lo_i = np.searchsorted(allowed, last)
        hi_i = np.searchsorted(allowed, first, side="right") - 1
        pu, idx = _distinct_ages(rng, users, _uniform_int(rng, 3, 6, users.size), lo_i, hi_i)
        return [*frame, _purchases(rng, pu, allowed[idx], PROFILES["casual"].discount_rate)]

    return plan


def _plan_fast_starter(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """A big order (>= 225) on the first day, first seen >= 60 days ago; 0-3 later orders."""
    first, last, frame = _casual_frame(rng, cal, users, 60, 45)
    later = _distinct_ages(rng, users, _uniform_int(rng, 0, 3, users.size), last, first - 1)
    rate = PROFILES["casual"].discount_rate
    big = _purchases(rng, users, first, rate)
    big.flags |= F_BIG
    return [*frame, big, _purchases(rng, *later, rate)]


def _plan_slow_starter(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """First seen >= 60 days ago, no order in the first 20 days, then 1-3 orders."""
    first, last, frame = _casual_frame(rng, cal, users, 60, 30)
    bought = _distinct_ages(rng, users, _uniform_int(rng, 1, 3, users.size), last, first - 20)
    return [*frame, _purchases(rng, *bought, PROFILES["casual"].discount_rate)]


def _plan_declining_engagement(rng: np.random.Generator, cal: _Calendar, users: np.ndarray) -> list[_Days]:
    """Busy and buying at ages 29-56 (10-18 days, 6-9 orders, the latest >= 29 days ago), then
    at most one visit in the last 28 days (ages 0-27, never age 28). Browsing only before age
    56: a burst of frequent orders followed by 4+ silent weeks is what churn models flag."""
    n, m = users.size, cal.max_age
    first = _uniform_int(rng, 120, m, n)
    busy = _distinct_ages(rng, users, _uniform_int(rng, 10, 18, n), 29, 56)
    visit = _subset(rng, users, 0.5)
    early = _chain_days(rng, users, 57 + rng.integers(0, 5, n), first, 2, 14)
    buys = _distinct_ages(rng, users, _uniform_int(rng, 6, 9, n), 29, 56)
    return [
        _Days.of(users, first), _Days.of(users, np.full(n, 29)), _Days.of(*busy),
        _Days.of(visit, _uniform_int(rng, 0, 27, visit.size)), _Days.of(*early),
        _purchases(rng, *buys, PROFILES["casual"].discount_rate),
    ]


DAY_TRAIT_PLANNERS: dict[str, PlanFn] = {
    **{t: _plan_order_dates(t) for t in ORDER_DATE_TRAITS},
    "fast_starter": _plan_fast_starter,
    "slow_starter": _plan_slow_starter,
    "declining_engagement": _plan_declining_engagement,
}


PLANNERS: dict[str, PlanFn] = {
    "casual": _plan_casual,
    "champion": _plan_champion,
    "loyal": _plan_loyal,
    "one_time_buyer": _plan_one_time_buyer,
    "bargain_hunter": _plan_bargain_hunter,
    "weekend_shopper": _plan_weekend_shopper,
    "declining": _plan_declining,
    "churned": _plan_churned,
    "reactivated": _plan_reactivated,
    "new_user": _plan_new_user,
    "cart_abandoner": _plan_cart_abandoner,
    "power_user": _plan_power_user,
    "light_user": _plan_light_user,
}


def _assign_behaviors(rng: np.random.Generator, first_user: int, n: int) -> np.ndarray:
    """One planted behaviour per user; global user 0 is a power user so the log always
    reaches end_date (power users are active every day of the last week)."""
    shares = np.array([PROFILES[b].share for b in BEHAVIORS])
    labels = np.searchsorted(np.cumsum(shares / shares.sum()), rng.random(n), side="right")
    labels = np.minimum(labels, len(BEHAVIORS) - 1)
    if first_user == 0 and n > 0:
        labels[0] = BEHAVIOR_INDEX["power_user"]
    return labels


def _bits(*names: str) -> int:
    return sum(TRAIT_BIT[t] for t in names)


DAY_TRAIT_MASK = _bits(*DAY_TRAITS)
ORDER_DATE_MASK = _bits(*ORDER_DATE_TRAITS)


def _assign_day_traits(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    """Trait bits per user (uint32): at most one day-plan trait per casual user, drawn with
    ``DAY_TRAIT_SHARES`` of all users; every weekend_shopper is also a weekend_buyer."""
    traits = np.zeros(labels.size, dtype=np.uint32)
    casual_share = PROFILES["casual"].share / sum(p.share for p in PROFILES.values())
    shares = np.array([DAY_TRAIT_SHARES[t] for t in DAY_TRAITS]) / casual_share
    pick = np.searchsorted(np.cumsum(shares), rng.random(labels.size), side="right")
    hosts = (labels == CASUAL) & (pick < len(DAY_TRAITS))
    bits = np.array([TRAIT_BIT[t] for t in DAY_TRAITS], dtype=np.uint32)
    traits[hosts] = bits[pick[hosts]]
    traits[labels == BEHAVIOR_INDEX["weekend_shopper"]] |= TRAIT_BIT["weekend_buyer"]
    return traits


def _assign_event_traits(
    rng: np.random.Generator, labels: np.ndarray, traits: np.ndarray, days: _Days,
) -> np.ndarray:
    """Add the event traits, each among the users it cannot contradict (see TRAITS).

    One uniform draw per user and exclusive group: journey, hour, discount, price, features,
    advocate. Conflicts with the main behaviour are excluded here: full_price never goes to a
    bargain_hunter, premium never to a bargain_hunter, budget never to a champion / loyal /
    fast_starter user, and journey traits only to users without orders or carts.
    """
    n = labels.size
    bit = {t: np.uint32(b) for t, b in TRAIT_BIT.items()}
    orders = np.bincount(days.user[(days.flags & F_PURCHASE) > 0], minlength=n)
    active = np.bincount(days.user, minlength=n)
    carts = np.bincount(days.user[(days.flags & F_ABANDON) > 0], minlength=n)
    traits = traits.copy()
    # an order-date trait whose window held fewer than 3 allowed dates is not promised
    traits[(orders < 3) & ((traits & ORDER_DATE_MASK) > 0)] &= np.uint32(~ORDER_DATE_MASK & 0xFFFFFFFF)
    r = EVENT_TRAIT_RATES
    u = rng.random((n, 6))
    is_label = {b: labels == BEHAVIOR_INDEX[b] for b in ("bargain_hunter", "champion", "loyal")}

    def add(name: str, mask: np.ndarray) -> None:
        traits[mask] |= bit[name]

    journey_host = np.isin(labels, [BEHAVIOR_INDEX[b] for b in JOURNEY_HOSTS])
    journey_ok = journey_host & (orders == 0) & (carts == 0) & ((traits & DAY_TRAIT_MASK) == 0)
    add("visitor", journey_ok & (u[:, 0] < r["visitor"]))
    add("signed_up_only", journey_ok & (u[:, 0] >= r["visitor"]) & (u[:, 0] < r["visitor"] + r["signed_up_only"]))
    free = (traits & JOURNEY_TRAITS) == 0
    add("night_owl", free & (orders >= 2) & (u[:, 1] < r["night_owl"]))
    add("morning_buyer", free & (orders >= 2) & (u[:, 1] >= r["night_owl"])
        & (u[:, 1] < r["night_owl"] + r["morning_buyer"]))
    add("discount_driven", (orders >= 3) & (u[:, 2] < r["discount_driven"]))
    add("full_price", (orders >= 3) & ~is_label["bargain_hunter"] & (u[:, 2] >= r["discount_driven"])
        & (u[:, 2] < r["discount_driven"] + r["full_price"]))
    add("premium", (orders >= 1) & ~is_label["bargain_hunter"] & (u[:, 3] < r["premium"]))
    no_budget = is_label["champion"] | is_label["loyal"] | ((traits & bit["fast_starter"]) > 0)
    add("budget", (orders >= 1) & ~no_budget & (u[:, 3] >= r["premium"]) & (u[:, 3] < r["premium"] + r["budget"]))
    add("multi_feature_adopter", free & (active >= MULTI_FEATURE_MIN_DAYS) & (u[:, 4] < r["multi_feature_adopter"]))
    add("no_feature", free & (u[:, 4] >= r["multi_feature_adopter"])
        & (u[:, 4] < r["multi_feature_adopter"] + r["no_feature"]))
    no_feature = (traits & bit["no_feature"]) > 0
    add("advocate", free & ~no_feature & (active >= ADVOCATE_DAYS) & (u[:, 5] < r["advocate"]))
    return traits


def _apply_discount_traits(days: _Days, traits: np.ndarray) -> None:
    """discount_driven: a code on every order; full_price: none (in place)."""
    tr = traits[days.user]
    buy = (days.flags & F_PURCHASE) > 0
    coded = buy & ((tr & TRAIT_BIT["discount_driven"]) > 0)
    plain = buy & ((tr & TRAIT_BIT["full_price"]) > 0)
    days.flags[coded] |= np.uint8(F_DISCOUNT)
    days.flags[plain] &= np.uint8(~F_DISCOUNT & 0xFF)


def _plan_days(rng: np.random.Generator, cal: _Calendar, labels: np.ndarray, traits: np.ndarray) -> _Days:
    """All active days of a chunk, one row per (user, date), sorted by user then date.

    Casual users with a day-plan trait are planned by ``DAY_TRAIT_PLANNERS`` instead.
    """
    pieces: list[_Days] = []
    day_trait = (traits & DAY_TRAIT_MASK) > 0
    for b, planner in PLANNERS.items():
        users = np.flatnonzero((labels == BEHAVIOR_INDEX[b]) & ~((labels == CASUAL) & day_trait))
        if users.size:
            pieces.extend(planner(rng, cal, users))
    for t, planner in DAY_TRAIT_PLANNERS.items():
        users = np.flatnonzero((labels == CASUAL) & ((traits & TRAIT_BIT[t]) > 0))
        if users.size:
            pieces.extend(planner(rng, cal, users))
    user = np.concatenate([p.user for p in pieces])
    age = np.concatenate([p.age for p in pieces])
    flags = np.concatenate([p.flags for p in pieces])
    key = user * (cal.max_age + 1) + (cal.max_age - age)  # user asc, date asc
    order = np.argsort(key, kind="stable")
    key, flags = key[order], flags[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    merged = np.bitwise_or.reduceat(flags, starts) if starts.size else flags
    # a purchase day is never also an abandoned-cart day
    merged = np.where(merged & F_PURCHASE, merged & ~np.uint8(F_ABANDON), merged).astype(np.uint8)
    ukey = key[starts]
    return _Days(ukey // (cal.max_age + 1), cal.max_age - ukey % (cal.max_age + 1), merged)


# --------------------------------------------------------------------------------------
# Days -> sessions -> events
# --------------------------------------------------------------------------------------


@dataclass
class _Events:
    """Column arrays of one chunk before they become strings."""

    user: np.ndarray  # chunk-local user index, -1 = null
    code: np.ndarray  # index into EVENT_NAMES
    ts_us: np.ndarray  # microseconds since epoch
    session: np.ndarray  # chunk-local session number
    revenue: np.ndarray  # NaN = null
    order: np.ndarray  # chunk-local order number, -1 = null
    prop: np.ndarray  # index into catalog.texts, -1 = null
    event_no: np.ndarray  # chunk-local event number (re-deliveries share it)


def _pick_by_price(catalog: _Catalog, target: np.ndarray) -> np.ndarray:
    """The product whose list price is closest (from above) to a target order value."""
    return np.minimum(np.searchsorted(catalog.prices, target), N_PRODUCTS - 1)


def _forced_features(days: _Days, tr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Up to two forced feature events per day (event codes, -1 = none).

    multi_feature_adopter: one a day, cycling through the 6 features from the latest day back;
    advocate: write_review / refer_friend in turn on the user's ``ADVOCATE_DAYS`` latest days.
    A slice holds whole users, so ranks inside the slice are ranks inside the user.
    """
    n_days = days.user.size
    starts = np.flatnonzero(np.r_[True, days.user[1:] != days.user[:-1]]) if n_days else np.zeros(0, np.int64)
    counts = np.diff(np.r_[starts, n_days])
    from_end = np.repeat(counts, counts) - 1 - _rank_in_group(counts)  # 0 = latest day
    multi = (tr & TRAIT_BIT["multi_feature_adopter"]) > 0
    adv = ((tr & TRAIT_BIT["advocate"]) > 0) & (from_end < ADVOCATE_DAYS)
    adv_code = np.where(from_end % 2 == 0, EVENT_NAMES.index("write_review"), EVENT_NAMES.index("refer_friend"))
    multi_code = FIRST_FEATURE + from_end % N_FEATURES
    first = np.where(multi, multi_code, np.where(adv, adv_code, -1))
    second = np.where(multi & adv, adv_code, -1)
    return first, second


def _build_events(
    rng: np.random.Generator, cal: _Calendar, catalog: _Catalog, days: _Days, labels: np.ndarray,
    traits: np.ndarray,
) -> _Events:
    """Expand active days into sessions and ordered, timestamped events."""
    n_days = days.user.size
    prof = [PROFILES[b] for b in BEHAVIORS]
    lab = labels[days.user]
    tr = traits[days.user]
    browse_mean = np.array([p.browse_mean for p in prof])[lab]
    extra = np.array([p.extra_session for p in prof])[lab]
    journey = (tr & JOURNEY_TRAITS) > 0
    no_feature = journey | ((tr & TRAIT_BIT["no_feature"]) > 0)
    feature_share = np.where(no_feature, 0.0, np.array([p.feature_share for p in prof])[lab])
    night = (tr & TRAIT_BIT["night_owl"]) > 0
    morning = (tr & TRAIT_BIT["morning_buyer"]) > 0
    price_mu = np.array([p.price_mu for p in prof])[lab]
    price_sigma = np.array([p.price_sigma for p in prof])[lab]
    first_day = np.r_[True, days.user[1:] != days.user[:-1]] if n_days else np.zeros(0, bool)
    purchase = (days.flags & F_PURCHASE) > 0
    abandon = (days.flags & F_ABANDON) > 0
    weekend = cal.weekday(days.age) >= 5

    # per-user traits
    n_users = labels.size
    platform = np.searchsorted(np.cumsum(PLATFORM_WEIGHTS), rng.random(n_users) * 0.999999)
    channel = np.searchsorted(np.cumsum(CHANNEL_WEIGHTS), rng.random(n_users) * 0.999999)

    # funnel product of the day, chosen near a lognormal order value
    target = np.exp(rng.normal(price_mu, price_sigma))
    qty = 1 + np.searchsorted(np.cumsum(QUANTITY_WEIGHTS), rng.random(n_days) * 0.999999)
    big = (days.flags & F_BIG) > 0
    qty = np.where(big, FAST_START_QTY, qty)
    product = _pick_by_price(catalog, target / np.sqrt(qty))
    premium = big | ((tr & TRAIT_BIT["premium"]) > 0)
    budget = (tr & TRAIT_BIT["budget"]) > 0
    if premium.any() or budget.any():
        product = np.where(premium, rng.integers(catalog.premium_start, N_PRODUCTS, n_days), product)
        product = np.where(budget, rng.integers(0, catalog.budget_end, n_days), product)
    discount = np.where((days.flags & F_DISCOUNT) > 0, rng.integers(1, len(DISCOUNT_CODES) + 1, n_days), 0)

    # sessions
    n_sess = 1 + (rng.random(n_days) < extra) + (rng.random(n_days) < extra * 0.3)
    n_sess = np.where(night | morning, 1, n_sess)  # one early session keeps the day in its daypart
    s_day = np.repeat(np.arange(n_days), n_sess)
    s_rank = _rank_in_group(n_sess)
    s_last = s_rank == n_sess[s_day] - 1
    s_signup = first_day[s_day] & (s_rank == 0) & ((tr[s_day] & TRAIT_BIT["visitor"]) == 0)
    n_browse = rng.poisson(browse_mean[s_day] + 0.4 * weekend[s_day])
    funnel = np.where(s_last, 4 * purchase[s_day] + 2 * abandon[s_day], 0)
    force_1, force_2 = _forced_features(days, tr)
    s_first = s_rank == 0
    n_forced = np.where(s_first, (force_1[s_day] >= 0).astype(np.int64) + (force_2[s_day] >= 0), 0)
    lead = s_signup + 1 + n_forced + n_browse  # events before the funnel
    n_ev = lead + funnel

    # events: kind by position inside the session
    # [signup] opener [forced features] browsing... [product_view add_to_cart checkout_start purchase]
    e_sess = np.repeat(np.arange(s_day.size), n_ev)
    e_day = s_day[e_sess]
    pos = _rank_in_group(n_ev)
    f_pos = pos - lead[e_sess]  # >= 0 inside the funnel
    u = rng.random(e_sess.size)
    fs = feature_share[e_day]
    browse_kind = np.where(u < 0.4, PAGE_VIEW, np.where(u < 0.75, PRODUCT_VIEW, SEARCH))
    feature_kind = FIRST_FEATURE + np.searchsorted(np.cumsum(FEATURE_WEIGHTS), rng.random(e_sess.size) * 0.999999)
    browse_kind = np.where(rng.random(e_sess.size) < fs, feature_kind, browse_kind)
    funnel_kind = np.array([PRODUCT_VIEW, ADD_TO_CART, CHECKOUT_START, PURCHASE])[np.clip(f_pos, 0, 3)]
    code = np.where(f_pos < 0, browse_kind, funnel_kind).astype(np.int8)
    # the few fixed positions are set per session, not per event
    s_first_event = _group_starts(n_ev)
    code[s_first_event[s_signup]] = SIGNUP
    opener_at = s_first_event + s_signup
    code[opener_at] = np.where(journey[s_day], PAGE_VIEW, APP_OPEN)  # journey traits never app_open
    one, two = n_forced >= 1, n_forced >= 2
    code[opener_at[one] + 1] = force_1[s_day[one]]
    code[opener_at[two] + 2] = force_2[s_day[two]]

    # time inside a session, then sessions chained through the day with breaks
    gap = np.where(pos == 0, 0, 3 + rng.exponential(40.0, e_sess.size).astype(np.int64))
    gap = np.where(code == PURCHASE, gap + 20, gap)
    offset = _group_cumsum_exclusive(gap, n_ev) + gap
    s_dur = offset[_group_starts(n_ev) + n_ev - 1] if n_ev.size else np.zeros(0, np.int64)
    brk = 1800 + np.minimum(rng.exponential(5400.0, s_day.size), 4 * 3600).astype(np.int64)
    hour = np.searchsorted(np.cumsum(HOUR_WEIGHTS) / HOUR_WEIGHTS.sum(), rng.random(n_days) * 0.999999)
    if night.any() or morning.any():  # night owls start 00-03 h, morning buyers 06-09 h
        early = rng.integers(0, 4, n_days)
        hour = np.where(night, early, np.where(morning, 6 + early, hour))
    day_start = hour * 3600 + rng.integers(0, 3600, n_days)
    brk = np.where(s_last, 0, brk)
    # late starters: shorten the breaks to fit the day, then (rarely) move the day earlier
    room = LAST_EVENT_SECOND - day_start - np.bincount(s_day, weights=s_dur, minlength=n_days)
    total_brk = np.bincount(s_day, weights=brk, minlength=n_days)
    squeeze = np.clip(room * rng.uniform(0.2, 0.95, n_days) / np.maximum(total_brk, 1), 0, 1)
    brk = (brk * squeeze[s_day]).astype(np.int64)
    s_start = day_start[s_day] + _group_cumsum_exclusive(s_dur + brk, n_sess)
    day_end = np.zeros(n_days, np.int64)
    day_end[s_day[s_last]] = s_start[s_last] + s_dur[s_last]
    s_start = np.maximum(s_start - np.maximum(day_end - LAST_EVENT_SECOND, 0)[s_day], 0)
    second = s_start[e_sess] + offset
    epoch_day = cal.end_epoch_day - days.age[e_day]
    ts_us = (epoch_day * 86_400 + second) * 1_000_000 + rng.integers(0, 1_000_000, e_sess.size)

    # purchases: revenue after discount, one order per purchase event
    is_purchase = code == PURCHASE
    rates = np.array([0.0] + [r for _, r in DISCOUNT_CODES])
    price = catalog.prices[product[e_day]]
    revenue = np.where(is_purchase, np.round(price * qty[e_day] * (1 - rates[discount[e_day]]), 2), np.nan)
    order = np.where(is_purchase, np.cumsum(is_purchase) - 1, -1)

    # properties: an index into the catalogue's JSON texts
    e_user = days.user[e_day]
    browse_product = np.searchsorted(catalog.popularity, rng.random(e_sess.size) * 0.999999)
    in_funnel = f_pos >= 0
    prod_of_event = np.where(in_funnel, product[e_day], browse_product)
    version = np.minimum((cal.max_age - days.age[e_day]) * len(APP_VERSIONS) // (cal.max_age + 1), len(APP_VERSIONS) - 1)
    app_open_prop = np.where(
        rng.random(e_sess.size) < 0.12, -1,
        catalog.app_open_at + platform[e_user] * len(APP_VERSIONS) + version,
    )
    prop = np.select(
        [
            code == SIGNUP, code == APP_OPEN, code == PAGE_VIEW, code == SEARCH,
            (code == PRODUCT_VIEW) | (code == ADD_TO_CART) | (code == CHECKOUT_START),
            is_purchase, code >= FIRST_FEATURE,
        ],
        [
            catalog.signup_at + channel[e_user] * len(PLATFORMS) + platform[e_user],
            app_open_prop,
            catalog.page_at + rng.integers(0, len(PAGES), e_sess.size),
            catalog.search_at + rng.integers(0, len(QUERIES), e_sess.size),
            catalog.product_at + prod_of_event,
            catalog.purchase_at + (product[e_day] * 3 + qty[e_day] - 1) * (len(DISCOUNT_CODES) + 1) + discount[e_day],
            catalog.feature_at + code.astype(np.int64) - FIRST_FEATURE,
        ],
        -1,
    )
    return _Events(
        user=e_user, code=code, ts_us=ts_us, session=e_sess.astype(np.int64), revenue=revenue,
        order=order, prop=prop.astype(np.int64), event_no=np.arange(e_sess.size, dtype=np.int64),
    )


# --------------------------------------------------------------------------------------
# Noise for the staging layer
# --------------------------------------------------------------------------------------


def _pick_rows(rng: np.random.Generator, candidates: np.ndarray, fallback: int, k: int) -> np.ndarray:
    """``k`` rows from ``candidates`` (or from all ``fallback`` rows when there are none)."""
    if candidates.size:
        return rng.choice(candidates, size=k)
    return rng.integers(0, fallback, size=k)


def _add_noise(rng: np.random.Generator, ev: _Events, labels: np.ndarray, traits: np.ndarray) -> _Events:
    """Insert duplicates, re-deliveries and quarantinable rows right after their source row.

    Bad rows belong to a ``casual`` user without traits or to nobody, so no planted user's
    segment or trait moves.
    """
    n = ev.code.size
    if n == 0:
        return ev
    u = rng.random(n)
    dup = np.flatnonzero(u < DUPLICATE_SHARE)
    redo = np.flatnonzero((u >= DUPLICATE_SHARE) & (u < DUPLICATE_SHARE + REDELIVERY_SHARE))
    casual_rows = np.flatnonzero((labels[ev.user] == CASUAL) & (traits[ev.user] == 0))
    casual_buys = casual_rows[ev.code[casual_rows] == PURCHASE]
    k = BAD_ROWS_PER_KIND
    src = np.concatenate([
        np.arange(n), dup, redo, rng.integers(0, n, k),
        _pick_rows(rng, casual_rows, n, k), _pick_rows(rng, casual_buys, n, k),
    ])
    kind = np.concatenate([
        np.full(n, NOISE_ORIGINAL), np.full(dup.size, NOISE_DUPLICATE), np.full(redo.size, NOISE_REDELIVERY),
        np.full(k, BAD_NULL_USER), np.full(k, BAD_EPOCH), np.full(k, BAD_NEGATIVE),
    ])
    order = np.lexsort((kind, src))
    src, kind = src[order], kind[order]
    out = _Events(**{f: getattr(ev, f)[src] for f in _Events.__dataclass_fields__})

    bad = kind >= BAD_NULL_USER
    out.event_no[bad] = n + np.arange(int(bad.sum()))
    redo_rows = kind == NOISE_REDELIVERY
    out.ts_us[redo_rows] += rng.integers(1, 31, int(redo_rows.sum())) * 1_000_000
    out.user[kind == BAD_NULL_USER] = -1
    epoch = kind == BAD_EPOCH
    out.ts_us[epoch] = 0
    owner = np.maximum(out.user, 0)
    plain_casual = (labels[owner] == CASUAL) & (traits[owner] == 0)
    out.user[epoch & ~plain_casual] = -1
    neg = kind == BAD_NEGATIVE
    out.user[neg & ~plain_casual] = -1
    out.prop[neg & (out.code != PURCHASE)] = -1
    out.code[neg] = PURCHASE
    out.revenue[neg] = -np.round(np.exp(rng.normal(3.5, 0.5, int(neg.sum()))), 2)
    out.order[neg] = int(max(ev.order.max(), -1)) + 1 + np.arange(int(neg.sum()))
    return out


# --------------------------------------------------------------------------------------
# Arrow conversion
# --------------------------------------------------------------------------------------


def _fixed_width_ids(prefix: str, numbers: np.ndarray, digits: int, valid: np.ndarray | None = None) -> pa.StringArray:
    """``prefix`` + zero-padded decimal numbers, built straight into an Arrow buffer.

    Formatting millions of ids in Python would cost more than the rest of the generator;
    writing digit columns into one byte matrix keeps it at numpy speed and memory.
    ``valid`` (optional) marks which rows are non-null.
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    width = len(prefix) + digits
    buf = np.empty((numbers.size, width), dtype=np.uint8)
    buf[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    rest = numbers.copy()
    for col in range(width - 1, len(prefix) - 1, -1):
        buf[:, col] = rest % 10 + ord("0")
        rest //= 10
    offsets = np.arange(0, width * (numbers.size + 1), width, dtype=np.int32)
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    null_count = -1 if valid is None else int(numbers.size - np.count_nonzero(valid))
    return pa.StringArray.from_buffers(
        numbers.size, pa.py_buffer(offsets), pa.py_buffer(buf), bitmap, null_count
    )


def _take_or_null(values: pa.Array, idx: np.ndarray) -> pa.Array:
    """``values[idx]`` with null where ``idx < 0``."""
    indices = pa.array(np.maximum(idx, 0), type=pa.int64(), mask=idx < 0)
    return values.take(indices)


@dataclass
class _Counters:
    """Global numbering carried from chunk to chunk, so ids never repeat."""

    events: int = 0
    sessions: int = 0
    orders: int = 0


def _to_table(ev: _Events, user_ids: pa.Array, catalog: _Catalog, counters: _Counters) -> pa.Table:
    """Turn chunk arrays into the public events schema and advance the id counters."""
    names = pa.array(EVENT_NAMES, pa.string())
    order = np.where(ev.order >= 0, counters.orders + ev.order, -1)
    table = pa.Table.from_arrays(
        [
            _fixed_width_ids("e", counters.events + ev.event_no, 12),
            _take_or_null(user_ids, ev.user),
            names.take(pa.array(ev.code.astype(np.int64))),
            pa.array(ev.ts_us.view("datetime64[us]"), type=pa.timestamp("us")),
            _fixed_width_ids("s", counters.sessions + ev.session, 11),
            pa.array(ev.revenue, type=pa.float64(), mask=np.isnan(ev.revenue)),
            _fixed_width_ids("o", np.maximum(order, 0), 10, valid=order >= 0),
            _take_or_null(catalog.texts, ev.prop),
        ],
        schema=EVENTS_SCHEMA,
    )
    counters.events += int(ev.event_no.max()) + 1 if ev.event_no.size else 0
    counters.sessions += int(ev.session.max()) + 1 if ev.session.size else 0
    counters.orders += int(ev.order.max()) + 1 if ev.order.size else 0
    return table


def _user_ids(first_user: int, n: int, digits: int) -> pa.StringArray:
    return _fixed_width_ids("u", np.arange(first_user, first_user + n), digits)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _day_slices(days: _Days) -> list[tuple[int, int]]:
    """Cut a chunk's day plan at user boundaries into slices of about ``SLICE_DAYS`` days.

    Events are built and written slice by slice, so peak memory follows the slice size
    (about a million events) rather than ``chunk_users``.
    """
    n = days.user.size
    if n == 0:
        return []
    user_starts = np.flatnonzero(np.r_[True, days.user[1:] != days.user[:-1]])
    targets = np.arange(SLICE_DAYS, n, SLICE_DAYS)
    cuts = np.unique(user_starts[np.minimum(np.searchsorted(user_starts, targets), user_starts.size - 1)])
    bounds = [0, *[int(c) for c in cuts if 0 < c < n], n]
    return list(zip(bounds[:-1], bounds[1:]))


def _trait_table(user_ids: pa.Array, traits: np.ndarray) -> pa.Table:
    """(user_id, trait) for every set trait bit, by user then in ``TRAITS`` order."""
    bits = np.array([TRAIT_BIT[t] for t in TRAITS], dtype=np.uint32)
    has = (traits[:, None] & bits[None, :]) > 0
    user, trait = np.nonzero(has)
    return pa.Table.from_arrays(
        [user_ids.take(pa.array(user, pa.int64())), pa.array(TRAITS, pa.string()).take(pa.array(trait, pa.int64()))],
        schema=TRAITS_SCHEMA,
    )


def _generate_chunk(
    seed: int, chunk_index: int, first_user: int, n: int, n_users_total: int,
    cal: _Calendar, catalog: _Catalog, counters: _Counters,
) -> tuple[pa.Table, pa.Table, Iterator[pa.Table]]:
    """One chunk of users: its labels, its traits, and its events as a lazy series of tables.

    The chunk has its own RNG stream (seed, chunk index), so chunks are independent and
    reproducible; the event tables must be consumed in order (they share that stream).
    """
    rng = np.random.default_rng([seed, chunk_index])
    labels = _assign_behaviors(rng, first_user, n)
    traits = _assign_day_traits(rng, labels)
    days = _plan_days(rng, cal, labels, traits)
    traits = _assign_event_traits(rng, labels, traits, days)
    _apply_discount_traits(days, traits)
    user_ids = _user_ids(first_user, n, max(7, len(str(max(n_users_total - 1, 0)))))
    label_table = pa.Table.from_arrays(
        [user_ids, pa.array(BEHAVIORS, pa.string()).take(pa.array(labels.astype(np.int64)))],
        schema=LABELS_SCHEMA,
    )

    def tables() -> Iterator[pa.Table]:
        for lo, hi in _day_slices(days):
            part = _Days(days.user[lo:hi], days.age[lo:hi], days.flags[lo:hi])
            events = _build_events(rng, cal, catalog, part, labels, traits)
            yield _to_table(_add_noise(rng, events, labels, traits), user_ids, catalog, counters)

    return label_table, _trait_table(user_ids, traits), tables()


def _validate(n_users: int, seed: int, start_date: date, end_date: date, chunk_users: int) -> None:
    if n_users < 1:
        raise ValueError("n_users must be >= 1")
    if seed < 0:
        raise ValueError("seed must be >= 0")
    if chunk_users < 1:
        raise ValueError("chunk_users must be >= 1")
    if (end_date - start_date).days + 1 < MIN_HISTORY_DAYS:
        raise ValueError(
            f"need at least {MIN_HISTORY_DAYS} days between start_date and end_date "
            "(planted behaviours look back up to 360 days)"
        )


def _iter_chunks(n_users: int, chunk_users: int) -> Iterator[tuple[int, int, int]]:
    for index, first in enumerate(range(0, n_users, chunk_users)):
        yield index, first, min(chunk_users, n_users - first)


def generate(
    out_dir: Path, n_users: int, seed: int = 42, start_date: date = date(2023, 7, 1),
    end_date: date = date(2024, 6, 30), chunk_users: int = 50_000, progress: bool = False,
) -> GeneratedData:
    """Write ``events.parquet``, ``planted_labels.parquet`` and ``traits.parquet`` into ``out_dir``.

    Deterministic for the same (seed, n_users, dates, chunk_users). Memory is bounded by
    ``chunk_users`` (day plans) and a slice of about a million events, not by ``n_users``.
    """
    _validate(n_users, seed, start_date, end_date, chunk_users)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cal = _Calendar(end_date=end_date, max_age=(end_date - start_date).days)
    catalog = _build_catalog(seed)
    counters = _Counters()
    events_path, labels_path = out_dir / "events.parquet", out_dir / "planted_labels.parquet"
    traits_path = out_dir / "traits.parquet"
    n_events = 0
    bar = _progress_bar(progress, n_users)
    with pq.ParquetWriter(events_path, EVENTS_SCHEMA, compression="zstd") as ev_writer, \
            pq.ParquetWriter(labels_path, LABELS_SCHEMA, compression="zstd") as lab_writer, \
            pq.ParquetWriter(traits_path, TRAITS_SCHEMA, compression="zstd") as trait_writer, bar:
        task = bar.add_task("generating events", total=n_users, events=0) if progress else None
        for index, first, n in _iter_chunks(n_users, chunk_users):
            label_table, trait_table, event_tables = _generate_chunk(
                seed, index, first, n, n_users, cal, catalog, counters
            )
            lab_writer.write_table(label_table)
            trait_writer.write_table(trait_table)
            for table in event_tables:
                ev_writer.write_table(table)
                n_events += table.num_rows
            if task is not None:
                bar.update(task, advance=n, events=n_events)
    return GeneratedData(
        events_path=events_path, labels_path=labels_path, traits_path=traits_path, n_events=n_events, n_users=n_users,
        start_date=start_date, end_date=end_date,
    )


class _NoProgress:
    """Stand-in for ``rich.progress.Progress`` when no bar is wanted."""

    def __enter__(self) -> "_NoProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _progress_bar(enabled: bool, total: int):  # -> Progress | _NoProgress
    """A rich progress bar (users done, events written) or a no-op context."""
    if not enabled:
        return _NoProgress()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("users  {task.fields[events]:,} events"), TimeElapsedColumn(),
    )


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m scripts.generate_events",
        description="Generate a deterministic demo event log with planted behavioural segments.",
    )
    p.add_argument("--users", type=int, default=10_000, help="number of users (default 10000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--out", type=Path, default=Path("data/demo"), help="output folder (default data/demo)")
    p.add_argument("--start", type=date.fromisoformat, default=date(2023, 7, 1), help="first day (YYYY-MM-DD)")
    p.add_argument("--end", type=date.fromisoformat, default=date(2024, 6, 30), help="last day = as_of (YYYY-MM-DD)")
    p.add_argument("--chunk-users", type=int, default=50_000, help="users per chunk (bounds memory)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p.parse_args(argv)


def _summary_table(data: GeneratedData, seconds: float):  # -> rich.table.Table
    """A short summary: sizes, throughput and the planted label mix."""
    from rich.table import Table

    labels = pq.read_table(data.labels_path, columns=["planted_behavior"]).column(0).to_numpy(zero_copy_only=False)
    names, counts = np.unique(labels, return_counts=True)
    table = Table(title="behavioral_segments demo data", show_header=True)
    table.add_column("item")
    table.add_column("value", justify="right")
    table.add_row("users", f"{data.n_users:,}")
    table.add_row("events", f"{data.n_events:,}")
    table.add_row("dates", f"{data.start_date} .. {data.end_date}")
    table.add_row("events file", f"{data.events_path} ({data.events_path.stat().st_size / 1e6:,.1f} MB)")
    table.add_row("labels file", str(data.labels_path))
    table.add_row("traits file", str(data.traits_path))
    table.add_row("seconds", f"{seconds:,.1f}")
    table.add_row("events / second", f"{data.n_events / max(seconds, 1e-9):,.0f}")
    for name, count in sorted(zip(names, counts), key=lambda x: -x[1]):
        table.add_row(f"planted: {name}", f"{count:,} ({count / data.n_users:.1%})")
    traits = pq.read_table(data.traits_path, columns=["trait"]).column(0).to_numpy(zero_copy_only=False)
    trait_counts = dict(zip(*np.unique(traits, return_counts=True)))
    for name in TRAITS:
        count = int(trait_counts.get(name, 0))
        table.add_row(f"trait: {name}", f"{count:,} ({count / data.n_users:.1%})")
    return table


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: generate, then print a summary table."""
    from rich.console import Console

    args = _parse_args(argv)
    started = time.perf_counter()
    data = generate(
        out_dir=args.out, n_users=args.users, seed=args.seed, start_date=args.start,
        end_date=args.end, chunk_users=args.chunk_users, progress=not args.no_progress,
    )
    Console().print(_summary_table(data, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
