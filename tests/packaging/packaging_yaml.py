"""A small YAML reader for the packaging checks: enough YAML for the files they read (block
mappings and sequences, quoted and plain scalars, flow [..] and {..}); anything else is an
error, never a silent misreading. Python 3 standard library only."""

import json
import re


class YamlError(Exception):
    pass


def _strip_comment(line):
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _plain(s):
    s = s.strip()
    if s in ("", "~", "null", "Null", "NULL"):
        return None
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if re.fullmatch(r"[-+]?[0-9]+", s):
        return int(s)
    if re.fullmatch(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", s):
        return float(s)
    return s


def _quoted(s, i):
    """The quoted scalar starting at s[i]; returns (value, index after it)."""
    q = s[i]
    j = i + 1
    out = []
    while j < len(s):
        c = s[j]
        if q == "'" and c == "'":
            if j + 1 < len(s) and s[j + 1] == "'":
                out.append("'")
                j += 2
                continue
            return "".join(out), j + 1
        if q == '"' and c == "\\":
            out.append(s[j:j + 2])
            j += 2
            continue
        if q == '"' and c == '"':
            return json.loads('"' + "".join(out) + '"'), j + 1
        out.append(c)
        j += 1
    raise YamlError("unterminated quoted string: " + s)


def _flow(s, i):
    """The flow node starting at s[i] (after spaces); returns (value, index after it)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        raise YamlError("unexpected end of flow value: " + s)
    c = s[i]
    if c in "'\"":
        return _quoted(s, i)
    if c in "[{":
        close = "]" if c == "[" else "}"
        items = [] if c == "[" else {}
        i += 1
        while True:
            while i < len(s) and s[i] == " ":
                i += 1
            if i < len(s) and s[i] == close:
                return items, i + 1
            key, i = _flow(s, i)
            while i < len(s) and s[i] == " ":
                i += 1
            if c == "{":
                if i >= len(s) or s[i] != ":":
                    raise YamlError("expected ':' in flow mapping: " + s)
                value, i = _flow(s, i + 1)
                items[key] = value
            else:
                items.append(key)
            while i < len(s) and s[i] == " ":
                i += 1
            if i < len(s) and s[i] == ",":
                i += 1
            elif i < len(s) and s[i] == close:
                return items, i + 1
            else:
                raise YamlError("expected ',' or '%s' in: %s" % (close, s))
    j = i
    while j < len(s) and s[j] not in ",]}" and not (s[j] == ":" and (j + 1 == len(s) or s[j + 1] == " ")):
        j += 1
    return _plain(s[i:j]), j


def _scalar(s):
    s = s.strip()
    if s[:1] in ("|", ">", "&", "*", "!"):
        raise YamlError("unsupported YAML (block scalar, anchor, alias or tag): " + s)
    if s[:1] in "'\"[{":
        value, end = _flow(s, 0)
        if s[end:].strip():
            raise YamlError("trailing text after value: " + s)
        return value
    return _plain(s)


def _split_key(content):
    """'key: value' -> (key, value text); None if content is not a mapping entry."""
    if content[:1] in "'\"":
        key, j = _quoted(content, 0)
    else:
        m = re.match(r"([^:]*?):(?: |$)", content)
        if not m or content[:1] in "[{":
            return None
        key, j = _plain(m.group(1)), m.end(1)
    rest = content[j:]
    if not (rest == ":" or rest.startswith(": ")):
        return None
    return key, rest[1:].strip()


def _block(lines, i, indent):
    if lines[i][1].startswith("- ") or lines[i][1] == "-":
        seq = []
        while i < len(lines) and lines[i][0] == indent and (lines[i][1].startswith("- ") or lines[i][1] == "-"):
            rest = lines[i][1][1:].lstrip()
            if not rest:
                i += 1
                if i < len(lines) and lines[i][0] > indent:
                    value, i = _block(lines, i, lines[i][0])
                else:
                    value = None
            else:
                lines[i] = (indent + len(lines[i][1]) - len(rest), rest)
                value, i = _block(lines, i, lines[i][0])
            seq.append(value)
        return seq, i
    entry = _split_key(lines[i][1])
    if entry is None:
        if i + 1 < len(lines) and lines[i + 1][0] >= indent:
            raise YamlError("unsupported multi-line scalar: " + lines[i][1])
        return _scalar(lines[i][1]), i + 1
    mapping = {}
    while i < len(lines) and lines[i][0] == indent:
        entry = _split_key(lines[i][1])
        if entry is None:
            raise YamlError("expected 'key: value', got: " + lines[i][1])
        key, rest = entry
        i += 1
        if rest:
            mapping[key] = _scalar(rest)
        elif i < len(lines) and (lines[i][0] > indent or (lines[i][0] == indent and lines[i][1][:1] == "-")):
            mapping[key], i = _block(lines, i, lines[i][0])
        else:
            mapping[key] = None
    return mapping, i


def load_yaml(path):
    lines = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = _strip_comment(raw.rstrip("\n")).rstrip()
            if not line.strip() or line.strip() == "---":
                continue
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise YamlError("%s: tab in indentation" % path)
            lines.append((len(line) - len(line.lstrip(" ")), line.strip()))
    if not lines:
        return None
    value, i = _block(lines, 0, lines[0][0])
    if i != len(lines):
        raise YamlError("%s: cannot read from: %s" % (path, lines[i][1]))
    return value
