"""Rebuilds kubernetes-1.31-strict.json: the JSON schemas of the kinds deploy/kubernetes uses.

Source: the ``v1.31.0-local-strict`` schemas shipped in the PyPI wheel
kubernetes-validate 1.37.0 (Apache-2.0, https://github.com/willthames/kubernetes-validate),
which are generated from the Kubernetes 1.31 OpenAPI specification. "strict" schemas refuse
unknown fields, so a misspelt key fails the check.

    pip download --no-deps kubernetes-validate==1.37.0 && unzip kubernetes_validate-*.whl
    python deploy/kubernetes/schemas/vendor.py kubernetes_validate/kubernetes-json-schema/v1.31.0-local-strict

Only the definitions reachable from these kinds are kept, in one file, with references
rewritten to ``#/$defs/...``.
"""

import json
import re
import sys
from pathlib import Path

KINDS = {
    "v1/Namespace": "namespace-v1.json",
    "v1/ConfigMap": "configmap-v1.json",
    "v1/Service": "service-v1.json",
    "v1/Secret": "secret-v1.json",
    "apps/v1/Deployment": "deployment-apps-v1.json",
    "apps/v1/StatefulSet": "statefulset-apps-v1.json",
    "batch/v1/Job": "job-batch-v1.json",
    "policy/v1/PodDisruptionBudget": "poddisruptionbudget-policy-v1.json",
    "autoscaling/v2/HorizontalPodAutoscaler": "horizontalpodautoscaler-autoscaling-v2.json",
    "networking.k8s.io/v1/Ingress": "ingress-networking-v1.json",
}
REF = re.compile(r'"\$ref": "(?:/api/_definitions\.json)?#/\$defs/([^"]+)"')


def main(source: str) -> None:
    folder = Path(source)
    defs = json.loads((folder / "_definitions.json").read_text())["$defs"]
    kinds, keep, todo = {}, {}, []
    for kind, name in KINDS.items():
        text = (folder / name).read_text()
        todo += REF.findall(text)
        schema = json.loads(REF.sub(lambda m: f'"$ref": "#/$defs/{m.group(1)}"', text))
        schema.pop("$id", None)
        schema.pop("$schema", None)
        kinds[kind] = schema
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep[name] = defs[name]
        todo += REF.findall(json.dumps(defs[name]))
    bundle = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "source": "kubernetes-validate 1.37.0 (PyPI), v1.31.0-local-strict",
              "kinds": kinds, "$defs": dict(sorted(keep.items()))}
    out = Path(__file__).with_name("kubernetes-1.31-strict.json")
    out.write_text(json.dumps(bundle, separators=(",", ":"), sort_keys=False))
    print(f"{out}: {len(kinds)} kinds, {len(keep)} definitions")


if __name__ == "__main__":
    main(sys.argv[1])
