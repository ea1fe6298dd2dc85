"""The `fields=` partial response filter, applied to a whole response body.

Bitbucket's rules, as its "Partial responses" page and observation describe them:

- A comma-separated list of dotted paths; `*` matches any key at its level.
- `-path` removes from the default rendering; `+path` adds to it (for example the
  `values.reviewers` that list pages leave out).
- A bare path switches to explicit mode: only named paths survive, and that includes the
  envelope, so `values.id,next` has no `size`, `page`, `pagelen` or `previous`, and
  `values.id` alone loses `next` too. `+` paths are kept in explicit mode as well (the
  two forms mixed are undocumented: `settings.mixed_fields` drops them instead).
- A literal `+` in a query string decodes to a space, so a leading space means `+`.

Wildcards match every key of the full object, hidden ones included: live, `fields=*.*`
shows fields that the default rendering leaves out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Pattern = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    explicit: tuple[Pattern, ...]
    added: tuple[Pattern, ...]
    removed: tuple[Pattern, ...]

    def mentions(self, key: str) -> bool:
        """Whether any pattern could reach `key`: lets callers skip rendering hidden parts."""
        patterns = (*self.explicit, *self.added)
        return any(key in p or "*" in p for p in patterns)


def parse(values: Sequence[str]) -> FieldSpec | None:
    """Parse every `fields` parameter of a request (repeats are joined); None if absent."""
    explicit: list[Pattern] = []
    added: list[Pattern] = []
    removed: list[Pattern] = []
    for value in values:
        for item in value.split(","):
            stripped = item.strip()
            if not stripped:
                continue
            if stripped[0] == "-":
                removed.append(_pattern(stripped[1:]))
            elif stripped[0] == "+" or item[0].isspace():
                added.append(_pattern(stripped.lstrip("+")))
            else:
                explicit.append(_pattern(stripped))
    if not (explicit or added or removed):
        return None
    return FieldSpec(tuple(explicit), tuple(added), tuple(removed))


def _pattern(path: str) -> Pattern:
    return tuple(part for part in path.strip().split(".") if part)


def apply(body: Any, spec: FieldSpec | None, hidden: Iterable[str] = ()) -> Any:
    """Filter a full response body; `hidden` are the paths the default rendering omits."""
    hidden_patterns = [_pattern(p) for p in hidden]
    if spec is None:
        return _drop(body, hidden_patterns) if hidden_patterns else body
    if spec.explicit:
        result = _keep(body, [*spec.explicit, *spec.added])
    else:
        result = _drop(body, hidden_patterns) if hidden_patterns else body
        if spec.added:
            result = _merge(result, _keep(body, list(spec.added)))
    if spec.removed:
        result = _drop(result, list(spec.removed))
    return {} if result is _NOTHING else result


class _Nothing:
    """Marks a subtree that a filter left empty, so its parent can omit the key."""


_NOTHING: Any = _Nothing()


def _keep(value: Any, patterns: list[Pattern]) -> Any:
    if any(not p for p in patterns):
        return value
    if isinstance(value, list):
        kept = [_keep(item, patterns) for item in value]
        if kept and all(item is _NOTHING for item in kept):
            return _NOTHING
        return [{} if item is _NOTHING else item for item in kept]
    if not isinstance(value, dict):
        return _NOTHING
    out = {}
    for key, child in value.items():
        rest = [p[1:] for p in patterns if p[0] in ("*", key)]
        if rest:
            kept = _keep(child, rest)
            if kept is not _NOTHING:
                out[key] = kept
    return out or _NOTHING


def _drop(value: Any, patterns: list[Pattern]) -> Any:
    if isinstance(value, list):
        return [_drop(item, patterns) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, child in value.items():
        rest = [p[1:] for p in patterns if p and p[0] in ("*", key)]
        if not rest:
            out[key] = child
        elif all(rest):
            out[key] = _drop(child, rest)
    return out


def _merge(base: Any, extra: Any) -> Any:
    if extra is _NOTHING:
        return base
    if isinstance(base, dict) and isinstance(extra, dict):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(extra, list) and len(base) == len(extra):
        return [_merge(b, e) for b, e in zip(base, extra, strict=True)]
    return extra
