"""Layout detection: a raw table (wide, long/tidy, CloudWatch, Prometheus, Grafana, Datadog) -> MetricTable.

No configuration: the time column, value columns, metric-name column and label columns are found
from headers and cell contents. Repairs (dropped cells, duplicates, sorting, gaps) are written to
``MetricTable.notes``; anything that cannot be repaired raises ``IngestError`` with one sentence
naming the row or column and what was expected.
"""

from __future__ import annotations

import re
from pathlib import PurePath

import numpy as np
import pandas as pd

from analysis.engines.metrics.models import MetricTable
from analysis.engines.metrics.naming import infer_unit, parse_label_block, series_name, split_unit
from analysis.engines.metrics.reader import RawTable
from analysis.engines.metrics.timeparse import is_time_name, parse_ratio, parse_time_column
from analysis.errors import IngestError

_NAME_COLS = ("__name__", "metric", "metric_name", "metricname", "name", "series", "label", "query",
              "measurement", "metric name", "series name")
_VALUE_COLS = ("value", "values", "val", "y", "metric_value", "sample_value", "average", "avg", "sum",
               "maximum", "minimum", "mean")
_TAG_COLS = ("tags", "scope", "labels")
_UNIT_COLS = ("unit", "units")
_LABELISH_NUMERIC = {"le", "quantile", "code", "status", "status_code", "port", "shard", "partition", "cpu",
                     "core", "replica", "id"}
_NUM_CELL = re.compile(r"^\s*(?P<num>[-+]?(?:\d[\d_ ]*\d|\d)?(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(?P<unit>[A-Za-zµ%/]*)\s*$")
_SI = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "m": 1e-3, "µ": 1e-6, "u": 1e-6, "n": 1e-9}
_MISSING = {"", "nan", "null", "none", "n/a", "na", "-", "--", "undefined", "no data"}


def _row_of(raw: RawTable, idx: int) -> int:
    """1-based line number in the file of data row ``idx``."""
    return raw.header_line + 2 + int(idx)


def _find_time_column(raw: RawTable, name: str) -> str:
    frame = raw.frame
    cols = list(frame.columns)
    named = [c for c in cols if is_time_name(c)]
    good = [c for c in named if parse_ratio(frame[c]) >= 0.8]
    # an epoch column beside a formatted one (Nezha: Go-style `Time` + `TimeStamp`) is the unambiguous one
    epoch = [c for c in good if pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if epoch or good:
        return (epoch or good)[0]
    for c in cols:
        if c in named or pd.api.types.is_bool_dtype(frame[c].dtype):
            continue
        if pd.api.types.is_numeric_dtype(frame[c].dtype) and c != cols[0]:
            continue
        if parse_ratio(frame[c]) >= 0.9:
            return c
    if named:
        c = named[0]
        parsed = parse_time_column(frame[c].head(200).astype(str).reset_index(drop=True))
        first = int(np.argmax(parsed.isna())) if parsed.isna().any() else 0
        raise IngestError(f"Row {_row_of(raw, first)} of {name}, column '{c}': '{frame[c].iloc[first]}' is not a "
                          f"timestamp; expected ISO 8601 (2024-03-12T13:21:00Z), epoch seconds or milliseconds.")
    shown = ", ".join(f"'{c}'" for c in cols[:8])
    raise IngestError(f"No time column found in {name}: expected a column of timestamps (ISO 8601, epoch seconds "
                      f"or milliseconds) such as 'timestamp', but the header has {shown}.")


_TIME_OF_DAY = re.compile(r"^\s*\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(AM|PM|am|pm)?\s*$")


def _join_date_and_time(frame: pd.DataFrame, time_col: str) -> tuple[pd.DataFrame, str]:
    """Exports that split the timestamp into a date column and a time-of-day column get them joined."""
    if pd.api.types.is_numeric_dtype(frame[time_col].dtype):
        return frame, time_col
    for c in frame.columns:
        if c == time_col or not is_time_name(c) or pd.api.types.is_numeric_dtype(frame[c].dtype):
            continue
        sample = frame[c].dropna().astype(str).head(50)
        if len(sample) and sample.map(lambda v: bool(_TIME_OF_DAY.match(v))).all():
            joined = frame[time_col].astype(str) + " " + frame[c].astype(str)
            out = frame.drop(columns=[c]).copy()
            out[time_col] = joined
            return out, time_col
    return frame, time_col


def _drop_redundant_time_columns(frame: pd.DataFrame, time_col: str) -> tuple[pd.DataFrame, list[str]]:
    """Other time-named columns that hold timestamps would otherwise become labels (one point per series)."""
    extra = [c for c in frame.columns if c != time_col and is_time_name(c) and parse_ratio(frame[c]) >= 0.8]
    return (frame.drop(columns=extra), extra) if extra else (frame, [])


def _numeric_cells(col: pd.Series) -> tuple[np.ndarray, str, np.ndarray]:
    """Parse a text column of numbers (units like '%', 'ms', 'MB' allowed): values, unit, bad-cell mask."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes, uniq = col.cat.codes.to_numpy(), col.cat.categories
    else:
        codes, uniq = pd.factorize(col, use_na_sentinel=True)
    uvals = np.full(len(uniq), np.nan)
    ubad = np.zeros(len(uniq), dtype=bool)
    units: dict[str, int] = {}
    for i, cell in enumerate(uniq):
        s = str(cell).strip()
        if s.lower() in _MISSING:
            continue
        m = _NUM_CELL.match(s.replace(",", ".") if s.count(",") == 1 and "." not in s else s.replace(",", ""))
        if not m or not m.group("num") or m.group("num") in "+-":
            ubad[i] = True
            continue
        try:  # an exponent without a mantissa ('e5411...', e.g. hex ids) matches the pattern but is no number
            uvals[i] = float(m.group("num").replace(" ", "").replace("_", ""))
        except ValueError:
            ubad[i] = True
            continue
        unit = m.group("unit")
        units[unit] = units.get(unit, 0) + 1
    main_unit = max(units, key=units.get) if units else ""
    # scale SI-prefixed variants of the main unit ("kB" vs "MB") onto the main unit
    if len(units) > 1 and main_unit:
        base = main_unit[1:] if main_unit[:1] in _SI and len(main_unit) > 1 else main_unit
        for i, cell in enumerate(uniq):
            m = _NUM_CELL.match(str(cell).strip())
            if not m or ubad[i] or not np.isfinite(uvals[i]):
                continue
            u = m.group("unit")
            pre, main_pre = u[: len(u) - len(base)], main_unit[: len(main_unit) - len(base)]
            if u.endswith(base) and pre in _SI and main_pre in _SI:
                uvals[i] *= _SI[pre] / _SI[main_pre]
    values = np.where(codes >= 0, uvals[np.maximum(codes, 0)], np.nan)
    bad = np.where(codes >= 0, ubad[np.maximum(codes, 0)], False)
    return values, main_unit, bad


def _classify(frame: pd.DataFrame, time_col: str) -> tuple[dict[str, np.ndarray], dict[str, str],
                                                          dict[str, tuple[int, int, str]], list[str]]:
    """Split columns into numeric value columns (with units and bad-cell info) and label columns."""
    numeric: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    bad_info: dict[str, tuple[int, int, str]] = {}
    labels: list[str] = []
    labelish: list[str] = []
    for c in frame.columns:
        if c == time_col:
            continue
        col = frame[c]
        low = c.lower()
        if col.isna().all():
            continue
        if low in _UNIT_COLS or low in _NAME_COLS or low in _TAG_COLS:
            labels.append(c)
            continue
        if pd.api.types.is_bool_dtype(col.dtype):
            numeric[c] = col.astype(float).to_numpy()
            continue
        if pd.api.types.is_numeric_dtype(col.dtype):
            if low in _LABELISH_NUMERIC:
                labelish.append(c)
            numeric[c] = col.to_numpy(dtype=float, na_value=np.nan)
            continue
        vals, unit, bad = _numeric_cells(col)
        nonempty = int(col.notna().sum())
        ok = int(np.isfinite(vals).sum())
        if nonempty and ok / nonempty >= 0.8:
            numeric[c] = vals
            if unit:
                units[c] = unit
            if bad.any():
                first = int(np.argmax(bad))
                bad_info[c] = (int(bad.sum()), first, str(col.iloc[first]))
        else:
            labels.append(c)
    # integer label columns (le, code, cpu ...) are labels only when another column holds the values and
    # timestamps repeat (one row per label set); with one row per timestamp there is nothing to split
    if labelish and any(c not in labelish for c in numeric) and frame[time_col].duplicated().any():
        for c in labelish:
            numeric.pop(c)
            labels.append(c)
    return numeric, units, bad_info, labels


def _group_codes(frame: pd.DataFrame, key_cols: list[str], keep: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, dict[str, list[str]]]:
    """Group rows by their label columns: (group code per kept row, first row of each group, key values per group)."""
    n = int(keep.sum())
    combined = np.zeros(n, dtype=np.int64)
    per_col: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for c in key_cols:
        codes, uniq = pd.factorize(frame[c].to_numpy()[keep] if not isinstance(frame[c].dtype, pd.CategoricalDtype)
                                   else frame[c].cat.codes.to_numpy()[keep], use_na_sentinel=True)
        if isinstance(frame[c].dtype, pd.CategoricalDtype):
            cats = frame[c].cat.categories
            uniq = np.asarray([("" if u < 0 else str(cats[u])) for u in uniq], dtype=object)
        else:
            uniq = np.asarray(["" if pd.isna(u) else str(u) for u in uniq], dtype=object)
        per_col[c] = (codes, uniq)
        combined = combined * (len(uniq) + 1) + (codes + 1)
        if len(uniq) and combined.max() > 2**52:
            combined = pd.factorize(combined)[0].astype(np.int64)
    gcodes, guniq = pd.factorize(combined)
    first_rows = np.empty(len(guniq), dtype=np.int64)
    first_rows[gcodes[::-1]] = np.arange(n - 1, -1, -1)  # later writes win: the first occurrence remains
    key_values = {c: [("" if codes[r] < 0 else str(uniq[codes[r]]).strip()) for r in first_rows]
                  for c, (codes, uniq) in per_col.items()}
    return gcodes.astype(np.int64), first_rows, key_values


def _file_stem(name: str) -> str:
    stem = PurePath(name).name
    for ext in (".gz", ".csv", ".tsv", ".txt"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
    return stem


def _cloudwatch_name(name: str) -> tuple[str, dict[str, str]]:
    """Series name and labels from a CloudWatch export's file name (``cloudwatch_AWS-RDS_db-1_CPUUtilization``)."""
    stem = re.sub(r"^(cloudwatch|cw)[_\-\s]+", "", _file_stem(name), flags=re.I)
    parts = [p for p in re.split(r"[_\s]+", stem) if p]
    if len(parts) >= 2:
        labels: dict[str, str] = {}
        rest = parts[:-1]
        if rest and re.match(r"^AWS-[A-Za-z0-9]+$", rest[0]):
            labels["namespace"] = rest[0].replace("-", "/", 1)
            rest = rest[1:]
        if rest:
            labels["resource"] = "_".join(rest)
        return parts[-1], labels
    return stem or "value", {}


def detect_layout(raw: RawTable, name: str) -> MetricTable:
    """Turn a raw table into a long-form ``MetricTable``."""
    frame = raw.frame
    notes = list(raw.notes)
    if frame.shape[0] == 0:
        raise IngestError(f"{name} has a header but no data rows; expected one row per timestamp.")
    if frame.shape[1] < 2:
        raise IngestError(f"{name} has a single column '{frame.columns[0]}'; expected a time column and at least "
                          f"one numeric column.")
    time_col = _find_time_column(raw, name)
    frame, time_col = _join_date_and_time(frame, time_col)
    frame, dropped = _drop_redundant_time_columns(frame, time_col)
    if dropped:
        notes.append(f"extra time column(s) {', '.join(repr(c) for c in dropped)} ignored; '{time_col}' is the "
                     f"time axis")
    ts = parse_time_column(frame[time_col])
    bad_t = ts.isna() & frame[time_col].notna().to_numpy()
    if bad_t.any():
        first = int(np.argmax(bad_t))
        frac = float(bad_t.mean())
        if frac > 0.5:
            raise IngestError(f"Row {_row_of(raw, first)} of {name}, column '{time_col}': "
                              f"'{frame[time_col].iloc[first]}' is not a timestamp; expected ISO 8601 or epoch "
                              f"seconds/milliseconds.")
        notes.append(f"dropped {int(bad_t.sum())} row(s) whose '{time_col}' is not a timestamp "
                     f"(first at row {_row_of(raw, first)})")
    numeric, units, bad_info, label_cols = _classify(frame, time_col)
    lower = {c.lower(): c for c in frame.columns}
    if not numeric:
        raise IngestError(f"No numeric column found in {name}: expected at least one column of numbers besides "
                          f"the time column '{time_col}'.")
    for c, (count, first, cell) in sorted(bad_info.items()):
        notes.append(f"{count} non-numeric cell(s) in column '{c}' skipped (first at row {_row_of(raw, first)}: "
                     f"{cell!r})")
    name_col = next((lower[c] for c in _NAME_COLS if c in lower and lower[c] in label_cols), None)
    unit_col = next((lower[c] for c in _UNIT_COLS if c in lower and lower[c] in label_cols), None)
    tag_col = next((lower[c] for c in _TAG_COLS if c in lower and lower[c] in label_cols), None)
    other_labels = [c for c in label_cols if c not in (name_col, unit_col, tag_col)]
    value_cols = list(numeric)
    explicit_value = [c for c in value_cols if c.lower() in _VALUE_COLS]

    # ---- layout name
    cols_low = set(lower)
    if "__name__" in cols_low:
        layout = "prometheus"
    elif unit_col is not None and explicit_value:
        layout = "cloudwatch"
    elif name_col is not None and name_col.lower() == "series":
        layout = "grafana"
    elif tag_col is not None or any(re.match(r"^(avg|sum|max|min|count):", c) for c in value_cols):
        layout = "datadog"
    elif name_col is not None or other_labels:
        layout = "long"
    elif time_col == "Time" and len(value_cols) >= 1:
        layout = "grafana"
    else:
        layout = "wide"

    keep = ~ts.isna()
    t_ns = ts.asi8
    parts_ts: list[np.ndarray] = []
    parts_codes: list[tuple[np.ndarray, list[str]]] = []
    parts_val: list[np.ndarray] = []
    out_units: dict[str, str] = {}
    out_labels: dict[str, dict[str, str]] = {}

    if name_col is None and not other_labels and tag_col is None:
        # wide (also Grafana "joined", single-series CloudWatch/NAB files)
        for c in value_cols:
            if layout == "cloudwatch" or (len(value_cols) == 1 and c.lower() in _VALUE_COLS):
                base, lab = _cloudwatch_name(name) if layout == "cloudwatch" else (_file_stem(name), {})
                if c.lower() not in ("value", "values", "val", "y") and layout == "cloudwatch" and len(value_cols) > 1:
                    base = f"{base}:{c}"
                unit = ""
                if unit_col is not None:
                    u = frame[unit_col].dropna()
                    unit = str(u.iloc[0]) if not u.empty else ""
                sname = series_name(base, lab)
            else:
                head, unit = split_unit(c)
                base, lab = parse_label_block(head)
                if lab and ":" in c:
                    sname = head
                else:
                    sname = series_name(base, lab) if lab else head
            out_units[sname] = unit or units.get(c, "") or infer_unit(sname)
            out_labels[sname] = lab
            parts_ts.append(t_ns[keep])
            parts_codes.append((np.zeros(int(keep.sum()), dtype=np.int64), [sname]))
            parts_val.append(numeric[c][keep])
    else:
        key_cols = [c for c in (name_col, tag_col, *other_labels) if c is not None]
        gcodes, first_rows, key_values = _group_codes(frame, key_cols, keep)
        unit_first = None
        if unit_col is not None:
            unit_first = frame[unit_col].to_numpy()[keep]
        for vc in value_cols:
            names: list[str] = []
            for g, row in enumerate(first_rows):
                vals_of = {c: key_values[c][g] for c in key_cols}
                lab: dict[str, str] = {}
                base = ""
                if name_col is not None:
                    base, lab = parse_label_block(vals_of[name_col])
                if tag_col is not None and vals_of[tag_col]:
                    _, tl = parse_label_block("x{" + vals_of[tag_col].strip("{}") + "}")
                    lab.update(tl)
                for c in other_labels:
                    if vals_of[c]:
                        lab[c] = vals_of[c]
                head, unit = split_unit(vc)
                if not base:
                    base = head
                elif vc.lower() not in _VALUE_COLS or len(value_cols) > 1:
                    base = f"{base}:{head}"
                sname = series_name(base, lab)
                names.append(sname)
                u = unit or units.get(vc, "")
                if unit_first is not None and not u:
                    cell = unit_first[row]
                    u = "" if pd.isna(cell) else str(cell)
                out_units[sname] = u or infer_unit(sname)
                out_labels[sname] = lab
            parts_ts.append(t_ns[keep])
            parts_codes.append((gcodes, names))
            parts_val.append(numeric[vc][keep])

    # one categorical series column: map every part's local codes onto the sorted unique names
    all_names = sorted({nm for _, names in parts_codes for nm in names})
    pos = {nm: i for i, nm in enumerate(all_names)}
    codes = np.concatenate([np.asarray([pos[nm] for nm in names], dtype=np.int64)[c] for c, names in parts_codes])
    long = pd.DataFrame({
        "timestamp": pd.to_datetime(np.concatenate(parts_ts).view("datetime64[ns]"), utc=True),
        "series": pd.Categorical.from_codes(codes, categories=pd.Index(all_names, dtype="string")),
        "value": np.concatenate(parts_val).astype("float64"),
    })
    return _finish(long, layout, out_units, out_labels, notes)


def _finish(long: pd.DataFrame, layout: str, units: dict[str, str], labels: dict[str, dict[str, str]],
            notes: list[str]) -> MetricTable:
    """Drop empty cells, merge duplicates, sort, and note gaps."""
    empty = ~np.isfinite(long["value"].to_numpy())
    if empty.any():
        notes.append(f"{int(empty.sum())} empty or non-numeric value cell(s) treated as missing points")
        long = long.loc[~empty]
    ts_i = pd.DatetimeIndex(long["timestamp"]).asi8
    codes, _ = pd.factorize(long["series"], sort=True)
    order = np.lexsort((ts_i, codes))
    was_sorted_per_series = True
    if order.size > 1:
        sc, st = codes[order], ts_i[order]
        # input was time-sorted within each series iff the stable lexsort kept each series' rows in order
        same = sc[1:] == sc[:-1]
        orig = order
        was_sorted_per_series = bool(np.all(orig[1:][same] > orig[:-1][same]))
        dup = same & (st[1:] == st[:-1])
        long = long.iloc[order].reset_index(drop=True)
        if dup.any():
            notes.append(f"{int(dup.sum())} duplicate (series, timestamp) point(s) averaged")
            long = (long.groupby(["series", "timestamp"], sort=True, observed=True)["value"].mean()
                    .reset_index())
    if not was_sorted_per_series:
        notes.append("rows were not in time order; sorted")
    # gaps
    gap_series = []
    for s, g in long.groupby("series", sort=True, observed=True)["timestamp"]:
        t = pd.DatetimeIndex(g).asi8
        if t.size > 3:
            d = np.diff(t)
            med = np.median(d)
            if med > 0 and d.max() > 5 * med:
                gap_series.append((str(s), float(d.max()) / 1e9))
    if gap_series:
        worst = max(gap_series, key=lambda x: x[1])
        notes.append(f"gaps in {len(gap_series)} series (largest {worst[1] / 60:.0f} min in {worst[0]})")
    if not isinstance(long["series"].dtype, pd.CategoricalDtype):
        long["series"] = long["series"].astype("string").astype("category")
    long["series"] = long["series"].cat.remove_unused_categories()
    long["value"] = long["value"].astype("float64")
    long["timestamp"] = long["timestamp"].astype("datetime64[ns, UTC]")
    present = set(long["series"].unique())
    return MetricTable(frame=long.reset_index(drop=True), layout=layout,
                       units={k: v for k, v in sorted(units.items()) if k in present},
                       labels={k: v for k, v in sorted(labels.items()) if k in present}, notes=notes)
