"""Calculated simple (Moodle's qtype_calculatedsimple): a numerical question whose text holds
wildcards such as `{a}` and whose answers are formulas over them (`{a} * {b} + sqrt({c})`).

data: {"answers": [{"formula": str | "*", "fraction": 0..1, "tolerance": float,
                    "tolerance_type": "relative" | "nominal" | "geometric",
                    "display": "decimals" | "significant", "length": int, "feedback": html}],
       "datasets": [{"name": "a", "min": float, "max": float, "decimals": int,
                     "distribution": "uniform" | "loguniform"}],
       "items": [{"a": 3.4, "b": 5.2}, ...],   (the generated values, one dict per item)
       "item_count": int,                        (1..100, as Moodle)
       units, unit_penalty, unit_graded as numerical}
The attempt's entry keeps the item it drew: {"item": n, "values": {"a": 3.4, "b": 5.2}}. The
page, the grading, regrading, the review and item analysis all read those values, so an author
who generates new items later changes nothing for attempts already made.

Formulas are never given to eval(): they are parsed with Python's `ast` and evaluated by a walker
that knows only numbers, the wildcards, Moodle's operators and Moodle's function list. Numbers
are floats throughout, so `9**9**9` overflows (refused) instead of building a huge integer. Why
not a library: the maintained ones (simpleeval, asteval, numexpr) either let more of Python in
than Moodle's formula language has, or bring arrays and a compiler; what Moodle accepts is small
enough to whitelist node by node, with Moodle's (PHP's) meaning for `%`, `^` and `**`.
"""

from __future__ import annotations

import ast
import math
import random
import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l

from app.quizzes.qtypes.base import (
    ONE,
    ZERO,
    BadResponse,
    Outcome,
    QuestionType,
    XmlProblem,
    clamp,
    exact,
    fmt_number,
    formatted,
    leaf,
    parse_number,
    pct,
    percent_of,
    read_combined_feedback,
    strip_tags,
    sub,
    text_of,
    write_combined_feedback,
    xml_fraction,
)
from app.quizzes.qtypes.multichoice import MultiChoice
from app.quizzes.qtypes.numerical import (
    _split_unit,
    clean_units,
    units_from_form,
    units_from_xml,
    units_valid,
    write_units_xml,
)

MAX_FORMULA = 500  # characters; Moodle's answers are short formulas, this is far above them
MAX_NODES = 300  # parsed parts of one formula
MAX_ITEMS = 100  # Moodle offers up to 100 items per dataset
MAX_WILDCARDS = 30
DEFAULT_ITEMS = 10
TOLERANCE_TYPES = {"1": "relative", "2": "nominal", "3": "geometric"}
DISPLAYS = {"1": "decimals", "2": "significant"}
DISTRIBUTIONS = ("uniform", "loguniform")
_EPSILON = 1e-14  # PHP's precision (14 digits): Moodle widens every tolerance by it (MDL-3225)
_INT_RANGE = 2.0 ** 63  # PHP integers: bit operators and % work on 64-bit integers

# Moodle's rules: a wildcard is `{` + a letter + anything but `>} <{"'` + `}`; a formula written in
# a text is `{=…}` (which may hold wildcards).
WILDCARD = re.compile(r"\{([A-Za-z][^>} <{\"']*)\}")
FORMULA_IN_TEXT = re.compile(r"\{=([^{}]*(?:\{[^{}]+\}[^{}]*)*)\}")
_NUMBER_LITERAL = re.compile(r"^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$")


class FormulaError(ValueError):
    """A formula that cannot be read or computed; the message is Indonesian and names the part."""


# --- the functions Moodle allows (qtype_calculated_find_formula_errors), with PHP's meaning ------

def _as_int(x: float) -> int:
    if not math.isfinite(x) or abs(x) >= _INT_RANGE:
        raise FormulaError("bilangan terlalu besar untuk operasi bilangan bulat")
    return int(x)  # PHP truncates toward zero


def _php_round(x: float, digits: float = 0) -> float:
    """PHP's round(): halves away from zero (Python's round() would round them to even)."""
    d = max(-308, min(308, _as_int(digits)))
    with localcontext() as ctx:
        ctx.prec = 700  # enough digits for any float at any of these places
        return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP))


def _log(x: float, base: float | None = None) -> float:
    return math.log(x) if base is None else math.log(x, base)


def _base_from(x: float, base: int) -> float:
    # bindec(101) / octdec(17): PHP reads the digits of the number as written
    digits = str(_as_int(abs(x)))
    try:
        return float(int(digits, base))
    except ValueError:
        raise FormulaError(f"{digits} bukan bilangan basis {base}") from None


def _base_to(x: float, base: int) -> float:
    n = _as_int(x)
    if n < 0:
        raise FormulaError("bilangan negatif tidak bisa diubah basisnya")
    return float(format(n, "b" if base == 2 else "o"))


FUNCTIONS: dict[str, tuple[int, int, Any]] = {
    # name: (fewest arguments, most arguments, function)
    "pi": (0, 0, lambda: math.pi),
    **{name: (1, 1, fn) for name, fn in {
        "abs": abs, "acos": math.acos, "acosh": math.acosh, "asin": math.asin, "asinh": math.asinh,
        "atan": math.atan, "atanh": math.atanh, "ceil": lambda x: float(math.ceil(x)), "cos": math.cos,
        "cosh": math.cosh, "deg2rad": math.radians, "exp": math.exp, "expm1": math.expm1,
        "floor": lambda x: float(math.floor(x)), "log10": math.log10, "log1p": math.log1p,
        "rad2deg": math.degrees, "sin": math.sin, "sinh": math.sinh, "sqrt": math.sqrt, "tan": math.tan,
        "tanh": math.tanh, "is_finite": lambda x: float(math.isfinite(x)),
        "is_infinite": lambda x: float(math.isinf(x)), "is_nan": lambda x: float(math.isnan(x)),
        "bindec": lambda x: _base_from(x, 2), "octdec": lambda x: _base_from(x, 8),
        "decbin": lambda x: _base_to(x, 2), "decoct": lambda x: _base_to(x, 8),
    }.items()},
    "log": (1, 2, _log),
    "round": (1, 2, _php_round),
    "atan2": (2, 2, math.atan2),
    "fmod": (2, 2, math.fmod),
    "pow": (2, 2, math.pow),
    "min": (2, 1000, min),
    "max": (2, 1000, max),
}


class Formula:
    """A parsed formula: its wildcards (as written, in order) and its checked syntax tree."""

    def __init__(self, text: str, tree: ast.Expression, names: list[str], slots: dict[str, str]) -> None:
        self.text, self.tree, self.names, self._slots = text, tree, names, slots

    def __call__(self, values: dict[str, Any]) -> float:
        env = {}
        for name, slot in self._slots.items():
            if name not in values:
                raise FormulaError(f"wildcard {{{name}}} tidak punya nilai")
            try:
                env[slot] = float(values[name])
            except (TypeError, ValueError):
                raise FormulaError(f"nilai wildcard {{{name}}} bukan angka") from None
        try:
            result = _eval(self.tree.body, env)
        except ZeroDivisionError:
            raise FormulaError("pembagian dengan nol") from None
        except OverflowError:
            raise FormulaError("hasilnya terlalu besar") from None
        except (ValueError, TypeError) as exc:
            if isinstance(exc, FormulaError):
                raise
            raise FormulaError("hasilnya tidak terdefinisi (mis. akar atau log bilangan negatif)") from None
        except RecursionError:
            raise FormulaError("rumus terlalu dalam bersarang") from None
        if not math.isfinite(result):
            raise FormulaError("hasilnya bukan angka terhingga")
        return result


@lru_cache(maxsize=2048)
def compile_formula(text: str) -> Formula:
    """The formula `text` parsed and checked, or FormulaError saying what is wrong in it."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("rumus kosong")
    if len(text) > MAX_FORMULA:
        raise FormulaError(f"rumus lebih dari {MAX_FORMULA} karakter")
    names: list[str] = []
    slots: dict[str, str] = {}

    def slot(m: re.Match) -> str:
        name = m.group(1)
        if name not in slots:
            slots[name] = f"w{len(slots)}_"
            names.append(name)
        return f" {slots[name]} "

    src = WILDCARD.sub(slot, text)
    if "{" in src or "}" in src:
        raise FormulaError("kurung kurawal yang bukan wildcard (tulis wildcard sebagai {a})")
    if "?" in src:
        raise FormulaError("operator ?: tidak didukung")
    bad = sorted(set(re.sub(r"[0-9A-Za-z_.+\-*/%^&|~<>=!(),\s]", "", src)))
    if bad:
        raise FormulaError(f"karakter tidak diizinkan: {' '.join(bad)}")
    if "__" in src or re.search(r"w\d+_", WILDCARD.sub(" ", text).lower()):
        raise FormulaError("nama tidak diizinkan")
    # PHP's operators written the Python way; names are case-insensitive in PHP
    src = src.lower().replace("===", "==").replace("!==", "!=").replace("<>", "!=")
    src = src.replace("&&", " and ").replace("||", " or ")
    src = re.sub(r"!(?!=)", " not ", src)
    try:
        tree = ast.parse(src.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise FormulaError("susunan rumus tidak sah") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise FormulaError("rumus terlalu panjang")
    for node in nodes:
        _check(node, src, set(slots.values()))
    return Formula(text, tree, names, slots)


_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.Pow, ast.BitXor, ast.BitAnd, ast.BitOr,
           ast.LShift, ast.RShift)
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.Name, ast.Constant,
            ast.Load, ast.USub, ast.UAdd, ast.Not, ast.Invert, ast.And, ast.Or, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
            ast.Eq, ast.NotEq, *_BINOPS)


def _check(node: ast.AST, src: str, slots: set[str]) -> None:
    if not isinstance(node, _ALLOWED):
        raise FormulaError("bagian rumus tidak diizinkan")
    if isinstance(node, ast.Constant):
        literal = ast.get_source_segment(src.strip(), node) or ""
        if type(node.value) not in (int, float) or not _NUMBER_LITERAL.match(literal):
            raise FormulaError(f"angka tidak sah: {literal or node.value!r}")
    elif isinstance(node, ast.Call):
        fname = node.func.id if isinstance(node.func, ast.Name) else None
        if fname is None or fname not in FUNCTIONS:
            raise FormulaError(f"fungsi '{fname or '?'}' tidak dikenal")
        low, high, _fn = FUNCTIONS[fname]
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args) or not low <= len(node.args) <= high:
            want = {(0, 0): "tanpa argumen", (1, 1): "satu argumen", (1, 2): "satu atau dua argumen",
                    (2, 2): "dua argumen"}.get((low, high), "sedikitnya dua argumen")
            raise FormulaError(f"fungsi {fname}() menerima {want}")
    elif isinstance(node, ast.Name):
        if node.id not in slots and node.id not in FUNCTIONS:
            raise FormulaError(f"nama '{node.id}' tidak dikenal (wildcard ditulis {{{node.id}}})")


def _eval(node: ast.AST, env: dict[str, float]) -> float:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        raise FormulaError(f"'{node.id}' harus dipanggil sebagai fungsi, mis. {node.id}()")
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, env), _eval(node.right, env)
        op = node.op
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Div):
            if b == 0:
                raise ZeroDivisionError
            return a / b
        if isinstance(op, ast.Mod):  # PHP: integers, the sign of the dividend
            ia, ib = _as_int(a), _as_int(b)
            if ib == 0:
                raise ZeroDivisionError
            return float(math.fmod(ia, ib))
        if isinstance(op, ast.Pow):
            return math.pow(a, b)  # floats: overflow is an error, never a huge integer
        ia, ib = _as_int(a), _as_int(b)
        if isinstance(op, ast.BitXor):  # `^` is XOR in Moodle's (PHP's) formulas, not a power
            return float(ia ^ ib)
        if isinstance(op, ast.BitAnd):
            return float(ia & ib)
        if isinstance(op, ast.BitOr):
            return float(ia | ib)
        if ib < 0:
            raise FormulaError("geser bit dengan bilangan negatif")
        if isinstance(op, ast.LShift):
            return float(_as_int(float(ia << ib)) if ib < 64 else 0)
        return float(ia >> min(ib, 64))
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, env)
        if isinstance(node.op, ast.USub):
            return -v
        if isinstance(node.op, ast.UAdd):
            return v
        if isinstance(node.op, ast.Not):
            return float(not v)
        return float(~_as_int(v))
    if isinstance(node, ast.BoolOp):
        values = (bool(_eval(v, env)) for v in node.values)
        return float(all(values) if isinstance(node.op, ast.And) else any(values))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, env)
            ok = {ast.Lt: left < right, ast.LtE: left <= right, ast.Gt: left > right, ast.GtE: left >= right,
                  ast.Eq: left == right, ast.NotEq: left != right}[type(op)]
            if not ok:
                return 0.0
            left = right
        return 1.0
    if isinstance(node, ast.Call):
        args = [_eval(a, env) for a in node.args]
        return float(FUNCTIONS[node.func.id][2](*args))
    raise FormulaError("bagian rumus tidak diizinkan")


def evaluate(text: str, values: dict[str, Any]) -> float:
    """The value of formula `text` with the wildcards' `values`; FormulaError if it has none."""
    return compile_formula(text)(values)


def formula_problem(text: str, known: set[str] | None = None) -> str | None:
    """What is wrong with a formula (its syntax, functions, and wildcards outside `known`)."""
    try:
        f = compile_formula(text)
    except FormulaError as exc:
        return f"Rumus '{text[:80]}': {exc}."
    unknown = [n for n in f.names if known is not None and n not in known]
    if unknown:
        return f"Rumus '{text[:80]}': wildcard {', '.join('{' + n + '}' for n in unknown)} tidak dikenal."
    return None


def wildcards_in(*texts: str) -> list[str]:
    """The wildcards written in these texts and formulas, in order of first appearance."""
    seen: list[str] = []
    for t in texts:
        for m in WILDCARD.finditer(t or ""):
            if m.group(1) not in seen:
                seen.append(m.group(1))
    return seen


# --- showing numbers ---------------------------------------------------------------------------

def _decimal_sep() -> str:
    """The page's decimal separator: a comma in Indonesian (as Moodle's langconfig says), a point
    in English."""
    try:
        from flask_babel import get_locale

        locale = get_locale()
    except (RuntimeError, ImportError):
        locale = None
    return "." if locale is not None and locale.language == "en" else ","


def show_number(x: float, display: str | None = None, length: int | None = None, sep: str | None = None) -> str:
    """A number for a person: with `length` decimals or significant figures when asked, else as
    stored; with the page's decimal separator."""
    if display == "decimals" and length is not None:
        text = f"{x:.{length}f}"
    elif display == "significant" and length is not None and x != 0:
        text = format(x, f"#.{max(1, length)}g")
        if "e" not in text:
            text = text.rstrip(".")
    else:
        text = fmt_number(x)
    return text.replace(".", sep if sep is not None else _decimal_sep())


def substitute(html: str, values: dict[str, Any], sep: str | None = None) -> str:
    """Text with its `{=formula}` computed and its `{wildcard}` replaced by the item's values."""
    if not html or not values:
        return html or ""
    sep = sep if sep is not None else _decimal_sep()

    def one_formula(m: re.Match) -> str:
        try:
            return show_number(evaluate(m.group(1), values), sep=sep)
        except FormulaError:
            return m.group(0)

    html = FORMULA_IN_TEXT.sub(one_formula, html)
    return WILDCARD.sub(lambda m: show_number(float(values[m.group(1)]), sep=sep) if m.group(1) in values
                        else m.group(0), html)


def learner_number(value: Any) -> float:
    """A learner's number as Indonesians write it ("8,6", "1.234,5"), or as Moodle reads it
    ("8.6", "1e3")."""
    from app.numbers import parse_number as id_number

    if isinstance(value, str):
        try:
            return float(id_number(value))
        except ValueError:
            pass
    return parse_number(value)


def tolerance_interval(answer: float, tolerance: float, kind: str) -> tuple[float, float]:
    """The accepted range around `answer`, as Moodle's qtype_numerical_answer computes it."""
    tol = abs(tolerance)
    if kind == "nominal":
        tol = tol + _EPSILON * max(tol, abs(answer), _EPSILON)
        return answer - tol, answer + tol
    if kind == "geometric":
        quotient = 1 + tol + _EPSILON
        return (answer * quotient, answer / quotient) if answer < 0 else (answer / quotient, answer * quotient)
    span = abs(answer) * (tol + _EPSILON)  # relative
    return answer - span, answer + span


# --- datasets ----------------------------------------------------------------------------------

def _round_to(x: float, decimals: int) -> float:
    return float(f"{x:.{decimals}f}")  # as Moodle's sprintf("%.{n}f")


def generate_items(datasets: list[dict], count: int, rng: random.Random | None = None) -> list[dict]:
    """`count` items: for each wildcard a value drawn from its range (uniform, or log-uniform
    where small values are as likely in ratio as large ones), rounded to its decimals."""
    rng = rng or random.Random()
    items = []
    for _ in range(count):
        item = {}
        for d in datasets:
            lo, hi = float(d["min"]), float(d["max"])
            if d.get("distribution") == "loguniform":
                x = math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * rng.random())
            else:
                x = lo + (hi - lo) * rng.random()
            item[d["name"]] = _round_to(x, int(d.get("decimals", 1)))
        items.append(item)
    return items


def _dataset_problems(d: dict) -> list[str]:
    name = d.get("name", "?")
    try:
        lo, hi, dec = float(d["min"]), float(d["max"]), int(d.get("decimals", 1))
    except (KeyError, TypeError, ValueError):
        return [f"Set data {{{name}}}: minimum, maksimum dan desimal harus angka."]
    out = []
    if not (math.isfinite(lo) and math.isfinite(hi)):
        out.append(f"Set data {{{name}}}: minimum dan maksimum harus angka terhingga.")
    elif lo > hi:
        out.append(f"Set data {{{name}}}: minimum lebih besar dari maksimum.")
    if not 0 <= dec <= 10:
        out.append(f"Set data {{{name}}}: desimal harus antara 0 dan 10.")
    if d.get("distribution", "uniform") not in DISTRIBUTIONS:
        out.append(f"Set data {{{name}}}: sebaran harus uniform atau loguniform.")
    elif d.get("distribution") == "loguniform" and lo <= 0:
        out.append(f"Set data {{{name}}}: sebaran loguniform perlu minimum lebih dari 0.")
    return out


def _fit_items(items: list[dict], datasets: list[dict], count: int, regenerate: bool) -> list[dict]:
    """The items kept (those that still hold every wildcard), topped up or cut to `count`."""
    names = [d["name"] for d in datasets]
    if regenerate or any(any(n not in it for n in names) for it in items):
        items = []
    items = [{n: it[n] for n in names} for it in items[:count]]
    return items + generate_items(datasets, count - len(items))


class WithDatasets:
    """What the calculated types share: wildcards found in the text and the formulas, their
    dataset definitions and items, the item each attempt draws, and the values written into
    what the attempt shows. A type says where its formulas are (`formula_sources`)."""

    def formula_sources(self, data: dict) -> list[str]:
        """The texts besides the question's that hold wildcards (formulas, choices)."""
        raise NotImplementedError

    def formulas(self, data: dict) -> list[str]:
        """The formulas to compute for every item (checked at edit and import)."""
        raise NotImplementedError

    def with_text(self, text: str, data: dict) -> tuple[dict, list[str]]:
        data = dict(data)
        regenerate = bool(data.pop("_regenerate", False))
        sources = [str(t) for t in self.formula_sources(data)]
        names = wildcards_in(text, *sources)
        defs = {str(d.get("name")): d for d in data.get("datasets") or [] if isinstance(d, dict)}
        errors: list[str] = []
        if len(names) > MAX_WILDCARDS:
            return data, [f"Paling banyak {MAX_WILDCARDS} wildcard dalam satu soal."]
        missing = [n for n in names if n not in defs]
        in_formulas = set(wildcards_in(*sources))
        if [n for n in missing if n not in in_formulas]:  # those in formulas are named by validate()
            errors.append("Wildcard " + ", ".join("{" + n + "}" for n in missing if n not in in_formulas)
                          + " di teks soal tidak punya set data (minimum, maksimum, desimal).")
        data["datasets"] = [defs[n] for n in names if n in defs]
        try:
            count = int(data.get("item_count") or len(data.get("items") or []) or DEFAULT_ITEMS)
        except (TypeError, ValueError):
            count = 0
        data["item_count"] = count
        items = [it for it in data.get("items") or [] if isinstance(it, dict)]
        if (not missing and data["datasets"] and 1 <= count <= MAX_ITEMS
                and not any(_dataset_problems(d) for d in data["datasets"])):
            data["items"] = _fit_items(items, data["datasets"], count, regenerate)
        for m in FORMULA_IN_TEXT.finditer(text or ""):
            problem = formula_problem(m.group(1), set(defs))
            if problem:
                errors.append(problem)
        return data, errors

    def dataset_problems(self, data: dict, formulas: list[str], errors: list[str]) -> list[str]:
        """What is wrong with the datasets and items, and the formulas no item can compute
        (checked only when the formulas themselves are fine: `errors` so far)."""
        datasets = data.get("datasets") or []
        out: list[str] = []
        if not datasets:
            out.append(str(_l("Rumus jawaban harus memakai sedikitnya satu wildcard, mis. {a} + {b}.")))
        for d in datasets:
            out += _dataset_problems(d)
        items = data.get("items") or []
        try:
            count = int(data.get("item_count") or len(items) or 0)
        except (TypeError, ValueError):
            count = 0
        if not 1 <= count <= MAX_ITEMS:
            out.append(f"Jumlah set data harus antara 1 dan {MAX_ITEMS}.")
        elif datasets and not errors and not out:
            if not items:
                out.append("Belum ada set data; klik \"Buat set data\".")
            for n, item in enumerate(items, 1):
                bad = [d["name"] for d in datasets if not _finite(item.get(d["name"]))]
                if bad:
                    out.append(f"Set data nomor {n}: nilai {', '.join('{' + b + '}' for b in bad)} bukan angka.")
                    break
            if not out:
                out += _evaluation_problems(formulas, items)
        return out

    def clean_datasets(self, data: dict) -> dict:
        datasets = [{"name": str(d["name"]), "min": float(d["min"]), "max": float(d["max"]),
                     "decimals": int(d.get("decimals", 1)), "distribution": d.get("distribution", "uniform")}
                    for d in data.get("datasets") or []]
        names = [d["name"] for d in datasets]
        return {"datasets": datasets, "items": [{n: float(it[n]) for n in names} for it in data.get("items") or []],
                "item_count": len(data.get("items") or [])}

    # --- the attempt ------------------------------------------------------------------------------
    def draw_item(self, data: dict, rng: random.Random) -> dict:
        """The item an attempt uses, kept in its layout: its number and its values."""
        items = data.get("items") or []
        if not items:
            return {}
        n = rng.randrange(len(items))
        return {"item": n + 1, "values": dict(items[n])}

    def attempt_data(self, data: dict, entry: dict) -> dict:
        values = entry.get("values")
        if values is None:
            items = data.get("items") or [{}]
            values = items[0]
        return {**data, "values": values}

    def present(self, html: str, data: dict) -> str:
        return substitute(html, data.get("values") or {})

    # --- the editor -------------------------------------------------------------------------------
    def datasets_from_form(self, form, existing: dict, sources: list[str], errors: list[str]) -> dict:
        """The dataset rows, item count and "Buat set data" of the editor. Wildcards written in
        the text or the formulas that have no row yet get Moodle's defaults (1.0–10.0, one
        decimal) and are shown to the author before anything is saved."""
        datasets = []
        for i in range(int(form.get("ds_n", 0) or 0)):
            name = form.get(f"d{i}_name", "").strip()
            if not name:
                continue
            try:
                datasets.append({"name": name, "min": learner_number(form.get(f"d{i}_min", "").strip()),
                                 "max": learner_number(form.get(f"d{i}_max", "").strip()),
                                 "decimals": int(form.get(f"d{i}_decimals", "1") or 1),
                                 "distribution": form.get(f"d{i}_distribution", "uniform")})
            except (BadResponse, ValueError):
                errors.append(f"Set data {{{name}}}: minimum, maksimum dan desimal harus angka.")
                datasets.append(next((d for d in existing.get("datasets", []) if d.get("name") == name),
                                     {"name": name, "min": 1.0, "max": 10.0, "decimals": 1, "distribution": "uniform"}))
        known = {d["name"] for d in datasets}
        new = [n for n in wildcards_in(form.get("text", ""), *sources) if n not in known]
        for n in new:
            datasets.append({"name": n, "min": 1.0, "max": 10.0, "decimals": 1, "distribution": "uniform"})
        if new:
            errors.append("Wildcard baru ditemukan: " + ", ".join("{" + n + "}" for n in new)
                          + ". Rentangnya diisi 1–10 dengan 1 desimal; periksa lalu simpan lagi.")
        try:
            count = int(form.get("item_count", DEFAULT_ITEMS) or DEFAULT_ITEMS)
        except ValueError:
            errors.append(f"Jumlah set data harus bilangan bulat 1–{MAX_ITEMS}.")
            count = DEFAULT_ITEMS
        old = {d["name"]: d for d in existing.get("datasets", [])}
        changed = any(old.get(d["name"]) is not None and any(
            str(old[d["name"]].get(k)) != str(d.get(k)) for k in ("min", "max", "decimals", "distribution"))
            for d in datasets)
        out: dict = {"datasets": datasets, "items": existing.get("items", []), "item_count": count}
        if form.get("then") == "generate" or changed:
            out["_regenerate"] = True
        return out

    def table_columns(self, data: dict) -> list[tuple[str, str | None, int]]:
        """The computed columns of the editor's table: (formula, display, length)."""
        raise NotImplementedError

    def dataset_table(self, data: dict) -> list[dict]:
        """The editor's table: each item's values and each formula computed with them."""
        rows = []
        sep = _decimal_sep()
        columns = self.table_columns(data)
        for n, item in enumerate(data.get("items") or [], 1):
            shown = []
            for formula, display, length in columns:
                try:
                    shown.append(show_number(evaluate(formula, item), display, length, sep))
                except (FormulaError, KeyError, TypeError, ValueError) as exc:
                    shown.append(f"— {exc}")
            rows.append({"n": n, "values": [show_number(float(item[d["name"]]), sep=sep) if d["name"] in item else "—"
                                            for d in data.get("datasets") or []], "answers": shown})
        return rows

    # --- Moodle XML ---------------------------------------------------------------------------------
    def read_datasets(self, el, path: str) -> dict:
        datasets, values, counts = [], {}, []
        for j, d in enumerate(el.findall("dataset_definitions/dataset_definition"), 1):
            dpath = f"{path}/dataset_definitions/dataset_definition[{j}]"
            name = text_of(d, "name/text").strip()
            status = text_of(d, "status/text").strip() or "private"
            if status != "private":
                raise XmlProblem(d, dpath + "/status",
                                 f"Wildcard {{{name}}} memakai set data bersama ('{status}') kategori Moodle; Lentera "
                                 "hanya membaca set data privat milik soal. Soal dilewati — di Moodle, jadikan set "
                                 "datanya privat lalu ekspor lagi.")
            try:
                lo = float(text_of(d, "minimum/text").strip())
                hi = float(text_of(d, "maximum/text").strip())
                decimals = int(text_of(d, "decimals/text").strip() or 1)
                itemcount = int((d.findtext("itemcount") or "0").strip() or 0)
            except ValueError:
                raise XmlProblem(d, dpath, f"Set data {{{name}}}: minimum, maximum, decimals atau itemcount "
                                           "bukan angka.") from None
            distribution = text_of(d, "distribution/text").strip() or "uniform"
            datasets.append({"name": name, "min": lo, "max": hi, "decimals": decimals, "distribution": distribution})
            by_number = {}
            for item in d.findall("dataset_items/dataset_item"):
                try:
                    by_number[int((item.findtext("number") or "").strip())] = float((item.findtext("value") or "").strip())
                except ValueError:
                    raise XmlProblem(item, dpath + "/dataset_items",
                                     f"Set data {{{name}}}: nilai '{item.findtext('value')}' bukan angka.") from None
            values[name] = by_number
            counts.append(min(itemcount, len(by_number)) if itemcount else len(by_number))
        # as Moodle's dataset loader: the question has as many items as its shortest dataset
        n_items = min(counts) if counts else 0
        items = []
        for n in range(1, n_items + 1):
            item = {name: v[n] for name, v in values.items() if n in v}
            if len(item) != len(values):
                raise XmlProblem(el, path + "/dataset_definitions", f"Set data nomor {n} tidak lengkap.")
            items.append(item)
        return {"datasets": datasets, "items": items, "item_count": len(items) or DEFAULT_ITEMS}

    def write_datasets(self, el, data: dict) -> None:
        from lxml import etree

        defs = etree.SubElement(el, "dataset_definitions")
        items = data.get("items") or []
        for d in data.get("datasets") or []:
            de = etree.SubElement(defs, "dataset_definition")
            sub(de, "status", "private")
            sub(de, "name", d["name"])
            leaf(de, "type", "calculatedsimple")
            sub(de, "distribution", d.get("distribution", "uniform"))
            sub(de, "minimum", fmt_number(d["min"]))
            sub(de, "maximum", fmt_number(d["max"]))
            sub(de, "decimals", str(d.get("decimals", 1)))
            leaf(de, "itemcount", len(items))
            if items:
                its = etree.SubElement(de, "dataset_items")
                for n, item in enumerate(items, 1):
                    it = etree.SubElement(its, "dataset_item")
                    leaf(it, "number", n)
                    leaf(it, "value", fmt_number(item[d["name"]]))
                leaf(de, "number_of_items", len(items))


class Calculated(WithDatasets, QuestionType):
    name = "calculatedsimple"
    label = _l("Hitungan (wildcard)")
    xml_names = ("calculated",)  # Moodle's "calculated" with private datasets is the same question

    def formula_sources(self, data: dict) -> list[str]:
        return [str(a.get("formula", "")) for a in data.get("answers") or [] if a.get("formula") != "*"]

    def formulas(self, data: dict) -> list[str]:
        return self.formula_sources(data)

    # --- the data ---------------------------------------------------------------------------------
    def validate(self, data: dict) -> list[str]:
        answers = data.get("answers") or []
        known = {d.get("name") for d in data.get("datasets") or []}
        errors: list[str] = []
        if not any(a.get("formula") != "*" and _num(a.get("fraction")) > 0 for a in answers):
            errors.append(str(_l("Isi sedikitnya satu rumus jawaban dengan bobot positif.")))
        formulas = []
        for i, a in enumerate(answers, 1):
            f = a.get("formula")
            if f == "*":
                continue
            problem = formula_problem(str(f or ""), known)
            if problem:
                errors.append(problem)
                continue
            formulas.append(f)
            if a.get("tolerance_type", "relative") not in TOLERANCE_TYPES.values():
                errors.append(f"Jawaban {i}: jenis toleransi harus relative, nominal atau geometric.")
            if a.get("display", "decimals") not in DISPLAYS.values():
                errors.append(f"Jawaban {i}: tampilan jawaban harus decimals atau significant.")
            try:
                if not 0 <= int(a.get("length", 2)) <= 10 or _num(a.get("tolerance", 0)) < 0:
                    raise ValueError
            except (TypeError, ValueError):
                errors.append(f"Jawaban {i}: toleransi harus angka ≥ 0 dan panjang tampilan 0–10.")
        errors += self.dataset_problems(data, formulas, errors)
        return errors + units_valid(data)

    def clean(self, data: dict, sanitize) -> dict:
        answers = []
        for a in data.get("answers") or []:
            star = a.get("formula") == "*"
            answers.append({"formula": "*" if star else str(a["formula"]).strip(),
                            "fraction": float(a.get("fraction", 0)),
                            "tolerance": abs(float(a.get("tolerance", 0) or 0)),
                            "tolerance_type": a.get("tolerance_type", "relative"),
                            "display": a.get("display", "decimals"), "length": int(a.get("length", 2)),
                            "feedback": sanitize(a.get("feedback"))})
        out = {k: v for k, v in data.items() if k not in ("units", "unit_penalty", "unit_graded")}
        out.update(answers=answers, **self.clean_datasets(data))
        if data.get("feedback"):
            out["feedback"] = {k: sanitize(v) for k, v in data["feedback"].items() if v}
        out.update(clean_units(data))
        return out

    # --- the attempt ------------------------------------------------------------------------------
    def layout(self, data: dict, shuffle: bool, rng: random.Random) -> dict:
        return {"choices": [], **self.draw_item(data, rng)}

    def item(self, data: dict, entry: dict) -> dict:
        return {"units": [u["name"] for u in data.get("units", [])], "values": data.get("values") or {}}

    def check_response(self, data: dict, response: Any) -> Any:
        if response is None or (isinstance(response, str) and not response.strip()):
            return None
        if isinstance(response, bool) or not isinstance(response, str | int | float):
            raise BadResponse("bukan angka")
        if isinstance(response, str):
            if len(response) > 100:
                raise BadResponse("terlalu panjang")
            _split_unit(response.strip(), data.get("units") or [], read=learner_number)
            return response.strip()  # kept as typed: the review shows what the learner wrote
        return parse_number(response)

    def grade(self, data: dict, response: Any) -> Outcome:
        if response is None or response == "":
            return Outcome(ZERO)
        units = data.get("units") or []
        value, unit, typed = _split_unit(response, units, read=learner_number)
        unit_ok = not units or unit is not None or (not typed and not data.get("unit_graded"))
        values = data.get("values") or {}
        sep = _decimal_sep()
        for ans in data.get("answers") or []:
            # as Moodle: formulas in an answer's feedback are shown with that answer's format
            feedback = substitute_formulas(ans.get("feedback", ""), values, ans.get("display"),
                                           int(ans.get("length", 2)), sep)
            if ans.get("formula") == "*":
                return Outcome(clamp(exact(ans.get("fraction", 0))), feedback)
            try:
                target = evaluate(ans["formula"], values)
            except FormulaError:
                continue  # cannot be computed for these values (the question changed since): no match
            lo, hi = tolerance_interval(target, float(ans.get("tolerance", 0) or 0), ans.get("tolerance_type", "relative"))
            if lo <= value <= hi:
                fraction = clamp(exact(ans.get("fraction", 0)))
                if not unit_ok:
                    fraction *= ONE - exact(data.get("unit_penalty", 0.1))
                return Outcome(max(ZERO, fraction.quantize(Decimal("0.0000001"))), feedback)
        return Outcome(ZERO)

    def form_response(self, item: dict, form) -> tuple[bool, Any]:
        key = f"q-{item['id']}"
        raw = form.get(key, "").strip()
        return (key in form), (raw or None)

    # --- the review -------------------------------------------------------------------------------
    def right_answer(self, data: dict) -> str:
        real = [a for a in data.get("answers") or [] if a.get("formula") != "*"]
        full = [a for a in real if float(a.get("fraction", 0)) >= 1] or real[:1]
        values = data.get("values") or {}
        if not values:
            return " / ".join(a["formula"] for a in full)
        sep = _decimal_sep()
        unit = data["units"][0]["name"] if data.get("units") else ""
        shown = []
        for a in full:
            try:
                shown.append(show_number(evaluate(a["formula"], values), a.get("display"), int(a.get("length", 2)), sep)
                             + (f" {unit}" if unit else ""))
            except FormulaError:
                continue
        return " / ".join(shown) + values_used(values, sep)

    def response_text(self, item: dict, response: Any) -> str:
        return response if isinstance(response, str) else fmt_number(response)

    # --- the editor -------------------------------------------------------------------------------
    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        errors: list[str] = []
        answers = []
        for i in range(int(form.get("rows", 0) or 0)):
            formula = form.get(f"a{i}_formula", "").strip()
            if not formula:
                continue
            try:
                tol = abs(learner_number(form.get(f"a{i}_tolerance", "0").strip() or "0"))
            except BadResponse:
                errors.append(f"Toleransi rumus '{formula[:80]}' bukan angka.")
                tol = 0.0
            try:
                length = int(form.get(f"a{i}_length", "2") or 2)
            except ValueError:
                errors.append(f"Panjang tampilan rumus '{formula[:80]}' harus bilangan bulat.")
                length = 2
            answers.append({"formula": formula, "tolerance": tol,
                            "fraction": percent_of(form.get(f"a{i}_fraction", "100"), 1.0, errors),
                            "tolerance_type": form.get(f"a{i}_tolerance_type", "relative"),
                            "display": form.get(f"a{i}_display", "decimals"), "length": length,
                            "feedback": form.get(f"a{i}_feedback", "")})
        data: dict = {"answers": answers}
        data.update(self.datasets_from_form(form, existing, [a["formula"] for a in answers if a["formula"] != "*"],
                                            errors))
        if existing.get("feedback"):
            data["feedback"] = existing["feedback"]
        data.update(units_from_form(form, errors))
        return data, errors

    def table_columns(self, data: dict) -> list[tuple[str, str | None, int]]:
        return [(a["formula"], a.get("display"), int(a.get("length", 2))) for a in data.get("answers") or []
                if a.get("formula") and a.get("formula") != "*"]

    # --- formats ----------------------------------------------------------------------------------
    def read_xml(self, el, path: str) -> dict:
        answers = []
        for i, ans in enumerate(el.findall("answer"), 1):
            apath = f"{path}/answer[{i}]"
            # the <text> inside <answer> came with Moodle 2; older files put the formula directly
            formula = (text_of(ans) if ans.find("text") is not None else (ans.text or "")).strip()
            fraction = xml_fraction(ans, apath)
            tol_type, display, length, tol = _answer_options(ans, apath)
            answers.append({"formula": "*" if formula in ("*", "") else formula, "fraction": fraction,
                            "tolerance": tol, "tolerance_type": tol_type, "display": display, "length": length,
                            "feedback": formatted(ans.find("feedback"))})
        data: dict = {"answers": answers, **self.read_datasets(el, path)}
        data.update(units_from_xml(el, path))
        return read_combined_feedback(el, data)

    def write_xml(self, el, data: dict) -> None:
        from lxml import etree

        leaf(el, "synchronize", "0")
        leaf(el, "single", "0")
        leaf(el, "answernumbering", "abc")
        leaf(el, "shuffleanswers", "0")
        write_combined_feedback(el, data)
        for ans in data.get("answers") or []:
            a = etree.SubElement(el, "answer", fraction=pct(ans.get("fraction", 0)))
            etree.SubElement(a, "text").text = ans["formula"]
            _write_answer_options(a, ans)
            sub(a, "feedback", ans.get("feedback", ""), format="html")
        write_units_xml(el, data, always=True)
        self.write_datasets(el, data)


class CalculatedMulti(WithDatasets, MultiChoice):
    """Moodle's calculatedmulti: a multiple-choice question whose choices hold formulas such as
    `{={a} * {b}}`, computed with the attempt's item and shown with the choice's decimals or
    significant figures. Graded as multiple choice. data: multichoice's, each choice with
    "display" and "length", plus the datasets and items."""

    name = "calculatedmulti"
    label = _l("Pilihan ganda hitungan")
    xml_names = ()

    def formula_sources(self, data: dict) -> list[str]:
        return [str(c.get("text", "")) for c in data.get("choices") or []]

    def formulas(self, data: dict) -> list[str]:
        return [m.group(1) for t in self.formula_sources(data) for m in FORMULA_IN_TEXT.finditer(t)]

    def validate(self, data: dict) -> list[str]:
        errors = MultiChoice.validate(self, data)
        known = {d.get("name") for d in data.get("datasets") or []}
        formulas = []
        for f in self.formulas(data):
            problem = formula_problem(f, known)
            if problem:
                errors.append(problem)
            else:
                formulas.append(f)
        return errors + self.dataset_problems(data, formulas, errors)

    def clean(self, data: dict, sanitize) -> dict:
        out = MultiChoice.clean(self, data, sanitize)
        out["choices"] = [{**c, "display": c.get("display", "decimals"), "length": int(c.get("length", 2))}
                          for c in out["choices"]]
        out.update(self.clean_datasets(data))
        return out

    def _shown(self, data: dict) -> list[dict]:
        values = data.get("values") or {}
        sep = _decimal_sep()
        return [{**c, "text": substitute_formulas(c["text"], values, c.get("display"), int(c.get("length", 2)), sep),
                 "feedback": substitute(c.get("feedback", ""), values, sep)} for c in data.get("choices") or []]

    def choices(self, data: dict) -> list[dict]:
        return [{"id": c["id"], "text": c["text"]} for c in self._shown(data)]

    def layout(self, data: dict, shuffle: bool, rng: random.Random) -> dict:
        return {**MultiChoice.layout(self, data, shuffle, rng), **self.draw_item(data, rng)}

    def grade(self, data: dict, response: Any) -> Outcome:
        return MultiChoice.grade(self, {**data, "choices": self._shown(data)}, response)

    def right_answer(self, data: dict) -> str:
        shown = MultiChoice.right_answer(self, {**data, "choices": self._shown(data)})
        return shown + values_used(data.get("values") or {}, _decimal_sep())

    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        data, errors = MultiChoice.from_form(self, form, existing)
        display = form.get("display", "decimals")
        try:
            length = int(form.get("length", "2") or 2)
        except ValueError:
            errors.append("Jumlah angka tampilan harus bilangan bulat.")
            length = 2
        data["choices"] = [{**c, "display": display, "length": length} for c in data["choices"]]
        data.update(self.datasets_from_form(form, existing, self.formula_sources(data), errors))
        return data, errors

    def table_columns(self, data: dict) -> list[tuple[str, str | None, int]]:
        return [(m.group(1), c.get("display"), int(c.get("length", 2))) for c in data.get("choices") or []
                for m in FORMULA_IN_TEXT.finditer(str(c.get("text", "")))]

    def read_xml(self, el, path: str) -> dict:
        data = MultiChoice.read_xml(self, el, path)
        kept = [ans for ans in el.findall("answer") if (text_of(ans) or "").strip()]
        for i, (choice, ans) in enumerate(zip(data["choices"], kept, strict=True), 1):
            _tol_type, display, length, _tol = _answer_options(ans, f"{path}/answer[{i}]")
            choice.update(display=display, length=length)
        data.update(self.read_datasets(el, path))
        return data

    def write_xml(self, el, data: dict) -> None:
        leaf(el, "synchronize", "0")
        leaf(el, "single", "1" if data.get("single", True) else "0")
        leaf(el, "answernumbering", data.get("numbering", "abc"))
        leaf(el, "shuffleanswers", "1" if data.get("shuffle", True) else "0")
        write_combined_feedback(el, data)
        for ch in data.get("choices") or []:
            a = sub(el, "answer", ch["text"], fraction=pct(ch.get("fraction", 0)))
            _write_answer_options(a, {"tolerance": 0.01, "tolerance_type": "relative", **ch})
            sub(a, "feedback", ch.get("feedback", ""), format="html")
        write_units_xml(el, {}, always=True)
        self.write_datasets(el, data)

    def write_gift(self, data: dict) -> str | None:
        return None


def substitute_formulas(html: str, values: dict[str, Any], display: str | None, length: int, sep: str) -> str:
    """A choice of calculatedmulti: its `{=formula}` shown with the choice's decimals or
    significant figures (as Moodle's replace_expressions_in_text with the answer's format)."""
    if not values:
        return html

    def one(m: re.Match) -> str:
        try:
            return show_number(evaluate(m.group(1), values), display, length, sep)
        except FormulaError:
            return m.group(0)

    return substitute(FORMULA_IN_TEXT.sub(one, html), values, sep)


def values_used(values: dict[str, Any], sep: str) -> str:
    """" (a = 3,4; b = 5,2)": the values the attempt used, for the review."""
    used = "; ".join(f"{n} = {show_number(float(v), sep=sep)}" for n, v in values.items())
    return f" ({used})" if used else ""


def _answer_options(ans, apath: str) -> tuple[str, str, int, float]:
    raw_tt = text_of(ans, "tolerancetype").strip() or "1"
    raw_fmt = text_of(ans, "correctanswerformat").strip() or "1"
    try:
        tol = abs(float(text_of(ans, "tolerance").strip() or 0))
        length = int(text_of(ans, "correctanswerlength").strip() or 2)
    except ValueError:
        raise XmlProblem(ans, apath, "Toleransi atau correctanswerlength bukan angka.") from None
    if raw_tt not in TOLERANCE_TYPES or raw_fmt not in DISPLAYS:
        raise XmlProblem(ans, apath, f"tolerancetype '{raw_tt}' atau correctanswerformat '{raw_fmt}' tidak dikenal.")
    return TOLERANCE_TYPES[raw_tt], DISPLAYS[raw_fmt], length, tol


def _write_answer_options(a, ans: dict) -> None:
    leaf(a, "tolerance", fmt_number(ans.get("tolerance", 0)))
    leaf(a, "tolerancetype", {v: k for k, v in TOLERANCE_TYPES.items()}[ans.get("tolerance_type", "relative")])
    leaf(a, "correctanswerformat", {v: k for k, v in DISPLAYS.items()}[ans.get("display", "decimals")])
    leaf(a, "correctanswerlength", ans.get("length", 2))


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _evaluation_problems(formulas: list[str], items: list[dict]) -> list[str]:
    """Each formula that cannot be computed for some item, named with the item and its values."""
    out = []
    for f in formulas:
        for n, item in enumerate(items, 1):
            try:
                evaluate(f, item)
            except FormulaError as exc:
                used = ", ".join(f"{k} = {fmt_number(v)}" for k, v in item.items())
                out.append(f"Rumus '{strip_tags(f)[:80]}' tidak bisa dihitung untuk set data nomor {n} ({used}): {exc}.")
                break
    return out


TYPE = Calculated()
MULTI = CalculatedMulti()
