"""The deployment files: deploy/kubernetes.yaml and the Helm chart deploy/helm/strata.

`helm` itself cannot be installed on the machines this suite runs on (no Debian package; the Go
toolchain Debian ships is too old to build it), so the chart is rendered here by a small
interpreter of the part of Go's template language the chart uses (`define`/`include`, `if`/
`else`/`with`/`end`, pipelines, `{{-`/`-}}` trimming, and Helm's `default`, `required`, `quote`,
`printf`, `trunc`, `trimSuffix`, `toYaml`, `nindent`, `not`); a construct outside that subset
fails the test rather than rendering wrongly. The rendered manifests are parsed as YAML and
checked for what the chart promises (probes on the admin port, the migration hook before the
Deployment, the Secret, the optional ServiceMonitor), and the strata.toml both the chart and
kubernetes.yaml ship is loaded by the real `strata` binary.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, strata_binary

CHART = REPO_ROOT / "deploy" / "helm" / "strata"
ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)
TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|(\()|(\))|(\|)|([^\s()|]+))')


class TemplateError(Exception):
    pass


def tokenize_template(text: str):
    """[("text", s) | ("action", expr)] with Go's whitespace trimming applied."""
    parts, pos = [], 0
    for m in ACTION.finditer(text):
        chunk = text[pos:m.start()]
        if m.group(1):
            chunk = chunk.rstrip()
        parts.append(["text", chunk])
        parts.append(["action", m.group(2), bool(m.group(3))])
        pos = m.end()
    parts.append(["text", text[pos:]])
    for i, p in enumerate(parts):
        if p[0] == "action" and p[2] and i + 1 < len(parts):
            parts[i + 1][1] = parts[i + 1][1].lstrip()
    return [(p[0], p[1]) for p in parts if p[0] == "action" or p[1]]


def parse(tokens, i=0, stop=("end",)):
    """A list of nodes up to a closing keyword; returns (nodes, index, closing keyword)."""
    nodes = []
    while i < len(tokens):
        kind, val = tokens[i]
        i += 1
        if kind == "text":
            nodes.append(("text", val))
            continue
        word = val.split(None, 1)[0] if val else ""
        if word in ("end", "else"):
            if word not in stop:
                raise TemplateError(f"unexpected {word}")
            return nodes, i, word
        if word in ("if", "with", "define"):
            expr = val[len(word):].strip()
            body, i, closed = parse(tokens, i, ("end", "else") if word != "define" else ("end",))
            other = []
            if closed == "else":
                other, i, _ = parse(tokens, i, ("end",))
            nodes.append((word, expr, body, other))
        elif word in ("range", "template", "block") or val.startswith("/*"):
            raise TemplateError(f"'{word}' is outside the subset this renderer knows")
        else:
            nodes.append(("action", val))
    return nodes, i, None


def truthy(v) -> bool:
    return bool(v) and v != 0


def to_yaml(v) -> str:
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=False).rstrip("\n")


class Renderer:
    def __init__(self, root: dict):
        self.root = root
        self.defines = {}

    def load(self, text: str):
        nodes, _, _ = parse(tokenize_template(text))
        for n in nodes:
            if n[0] == "define":
                self.defines[json.loads(n[1])] = n[2]
        return nodes

    def field(self, path: str, dot):
        base = self.root if path.startswith("$") else dot
        path = path[1:] if path.startswith("$") else path
        for name in [p for p in path.split(".") if p]:
            if not isinstance(base, dict):
                raise TemplateError(f"cannot read .{name} of {base!r}")
            base = base.get(name)
        return base

    def command(self, words, dot, piped=None, has_piped=False):
        head, args = words[0], words[1:]
        funcs = {
            "include": lambda name, ctx: self.render(self.defines[name], ctx),
            "printf": lambda fmt, *a: fmt % tuple(a),
            "trunc": lambda n, s: s[:n],
            "trimSuffix": lambda suf, s: s[: -len(suf)] if suf and s.endswith(suf) else s,
            "default": lambda d, v=None: v if truthy(v) else d,
            "required": self.required,
            "quote": lambda v: json.dumps("" if v is None else str(v)),
            "toYaml": to_yaml,
            "nindent": lambda n, s: "\n" + "\n".join(" " * n + line for line in s.split("\n")),
            "not": lambda v: not truthy(v),
        }
        if isinstance(head, str) and head in funcs:
            values = [self.value(a, dot) for a in args] + ([piped] if has_piped else [])
            return funcs[head](*values)
        if isinstance(head, str) and not head.startswith((".", "$", '"', "(")) and not head.isdigit():
            raise TemplateError(f"unknown function {head}")
        if args or has_piped:
            raise TemplateError(f"cannot call {head}")
        return self.value(head, dot)

    @staticmethod
    def required(msg, v):
        if not truthy(v):
            raise TemplateError(f"required: {msg}")
        return v

    def value(self, term, dot):
        if isinstance(term, list):
            return self.pipeline(term, dot)
        if term.startswith('"'):
            return json.loads(term)
        if term.isdigit():
            return int(term)
        if term == ".":
            return dot
        if term.startswith((".", "$")):
            return self.field(term, dot)
        raise TemplateError(f"cannot read {term}")

    def pipeline(self, tokens, dot):
        commands, current = [], []
        for t in tokens:
            if t == "|":
                commands.append(current)
                current = []
            else:
                current.append(t)
        commands.append(current)
        result = self.command(commands[0], dot)
        for c in commands[1:]:
            result = self.command(c, dot, result, True)
        return result

    @staticmethod
    def lex(expr: str):
        stack = [[]]
        for m in TOKEN.finditer(expr):
            s, open_, close, pipe, word = m.groups()
            if open_:
                stack.append([])
            elif close:
                inner = stack.pop()
                stack[-1].append(inner)
            else:
                stack[-1].append(s or pipe or word)
        return stack[0]

    def render(self, nodes, dot) -> str:
        out = []
        for n in nodes:
            if n[0] == "text":
                out.append(n[1])
            elif n[0] == "action":
                v = self.pipeline(self.lex(n[1]), dot)
                out.append("" if v is None else (str(v).lower() if isinstance(v, bool) else str(v)))
            elif n[0] in ("if", "with"):
                v = self.pipeline(self.lex(n[1]), dot)
                if truthy(v):
                    out.append(self.render(n[2], v if n[0] == "with" else dot))
                else:
                    out.append(self.render(n[3], dot))
        return "".join(out)


def render_chart(overrides: dict) -> list:
    """Every manifest the chart renders with these value overrides (nested dicts)."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())

    def merge(a, b):
        for k, v in b.items():
            if isinstance(v, dict) and isinstance(a.get(k), dict):
                merge(a[k], v)
            else:
                a[k] = v
    merge(values, overrides)
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    root = {"Values": values, "Release": {"Name": "demo", "Namespace": "default"},
            "Chart": {"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"]}}
    r = Renderer(root)
    templates = sorted((CHART / "templates").glob("*"))
    parsed = {t.name: r.load(t.read_text()) for t in templates}
    docs = []
    for name, nodes in parsed.items():
        if name.startswith("_") or not name.endswith(".yaml"):
            continue
        text = r.render(nodes, root)
        docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def by_kind(docs):
    out = {}
    for d in docs:
        out.setdefault(d["kind"], []).append(d)
    return out


def load_toml_with_strata(text: str, tmp_path: Path):
    """The real binary loads this strata.toml (and migrates a scratch SQLite database with it)."""
    binary = strata_binary()
    if not binary.exists():
        pytest.skip(f"no strata binary at {binary}")
    cfg = tmp_path / "strata.toml"
    cfg.write_text(text)
    proc = subprocess.run([str(binary), "--config", str(cfg), "--database-url", f"sqlite://{tmp_path}/s.db",
                           "migrate"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_chart_renders_what_it_promises(tmp_path):
    docs = by_kind(render_chart({"database": {"url": "postgres://strata:pw@db:5432/strata"}}))
    assert sorted(docs) == ["ConfigMap", "Deployment", "Job", "Secret", "Service"]
    secret, job, deploy = docs["Secret"][0], docs["Job"][0], docs["Deployment"][0]
    assert secret["stringData"]["url"] == "postgres://strata:pw@db:5432/strata"
    # The Secret is created before the migration Job, and both before install and upgrade.
    for hooked in (secret, job):
        assert hooked["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert (int(secret["metadata"]["annotations"]["helm.sh/hook-weight"])
            < int(job["metadata"]["annotations"]["helm.sh/hook-weight"]))
    migrate = job["spec"]["template"]["spec"]["containers"][0]
    assert migrate["args"] == ["migrate"] and migrate["image"] == "strata:0.1.0"
    assert migrate["env"][0]["valueFrom"]["secretKeyRef"] == {"name": "demo-strata", "key": "url"}

    pod = deploy["spec"]["template"]
    assert deploy["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    c = pod["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"thrift": 9083, "admin": 9084}
    assert c["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "admin"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "admin"}
    assert c["resources"]["limits"]["memory"] == "512Mi"
    assert c["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "demo-strata"
    svc = docs["Service"][0]
    assert {p["name"]: p["port"] for p in svc["spec"]["ports"]} == {"thrift": 9083, "admin": 9084}
    assert svc["spec"]["selector"] == deploy["spec"]["selector"]["matchLabels"]

    toml = docs["ConfigMap"][0]["data"]["strata.toml"]
    assert 'listen = "0.0.0.0:9084"' in toml
    load_toml_with_strata(toml, tmp_path)


def test_chart_options():
    docs = by_kind(render_chart({
        "database": {"existingSecret": "my-db"},
        "serviceMonitor": {"enabled": True, "labels": {"release": "prom"}},
        "env": [{"name": "AWS_REGION", "value": "eu-west-1"}],
        "podAnnotations": {"a": "b"},
        "image": {"tag": "1.2.3"},
    }))
    assert "Secret" not in docs
    mon = docs["ServiceMonitor"][0]
    assert mon["spec"]["endpoints"] == [{"port": "admin", "path": "/metrics", "interval": "30s"}]
    assert mon["metadata"]["labels"]["release"] == "prom"
    c = docs["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]
    assert c["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "my-db"
    assert c["env"][1] == {"name": "AWS_REGION", "value": "eu-west-1"}
    assert c["image"] == "strata:1.2.3"
    assert docs["Deployment"][0]["spec"]["template"]["metadata"]["annotations"] == {"a": "b"}
    with pytest.raises(TemplateError, match="database.url"):
        render_chart({})


def test_kubernetes_yaml_probes_the_admin_listener(tmp_path):
    docs = by_kind(list(yaml.safe_load_all((REPO_ROOT / "deploy" / "kubernetes.yaml").read_text())))
    c = docs["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"thrift": 9083, "admin": 9084}
    assert c["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "admin"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "admin"}
    load_toml_with_strata(docs["ConfigMap"][0]["data"]["strata.toml"], tmp_path)


def test_grafana_dashboard_parses():
    dash = json.loads((REPO_ROOT / "deploy" / "grafana" / "strata-dashboard.json").read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    assert exprs and all("strata_" in e for e in exprs)
