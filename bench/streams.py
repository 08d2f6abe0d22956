"""Generated release streams for the benchmark: many ordinary documents and one target.

A stream is the fixture chart's render (the Ocean controller's Deployment, its ConfigMap and
the rest of that release) in the middle of filler documents shaped like what big releases
hold: Deployments with probes, env and volumes, ConfigMaps carrying whole config files as
block scalars, Services, each with helm's ``# Source:`` comment. Names are unique, so
kustomize accepts the stream as one resource file. The same size always gives the same bytes.

    write_stream(Path("2mb.yaml"), 2 * MB, fixture_render)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

MB = 1024 * 1024

_DEPLOYMENT = """\
---
# Source: {app}/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {namespace}
  labels:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/instance: {app}
    app.kubernetes.io/version: "1.{n}.0"
    app.kubernetes.io/managed-by: Helm
    helm.sh/chart: {app}-1.{n}.0
spec:
  replicas: {replicas}
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
      app.kubernetes.io/instance: {app}
  template:
    metadata:
      annotations:
        # Roll the pods when the configuration changes.
        checksum/config: {checksum}
      labels:
        app.kubernetes.io/name: {app}
        app.kubernetes.io/instance: {app}
    spec:
      serviceAccountName: {app}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
      containers:
        - name: {app}
          image: "registry.example.com/team-{team}/{app}:1.{n}.0"
          imagePullPolicy: IfNotPresent
          args:
            - --config=/etc/{app}/app.conf
            - --port=8080
          env:
            - name: LOG_LEVEL
              value: "info"
            - name: GOMAXPROCS
              valueFrom:
                resourceFieldRef:
                  resource: limits.cpu
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {app}-db
                  key: url
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
          readinessProbe:
            httpGet:
              path: /ready
              port: http
          resources:
            requests:
              cpu: {cpu}m
              memory: {memory}Mi
            limits:
              memory: {memory}Mi
          volumeMounts:
            - name: config
              mountPath: /etc/{app}
              readOnly: true
        # ships the application's logs
        - name: log-forwarder
          image: "registry.example.com/platform/log-forwarder:3.4.{team}"
          args: ["--input=/var/log/{app}", "--output=stdout"]
          resources:
            requests:
              cpu: 10m
              memory: 32Mi
            limits:
              memory: 64Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
      volumes:
        - name: config
          configMap:
            name: {app}-config
"""

_CONFIGMAP = """\
---
# Source: {app}/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config
  namespace: {namespace}
  labels:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/managed-by: Helm
data:
  app.conf: |
    # {app} configuration, rendered by helm
    listen 0.0.0.0:8080;
    upstream backend-{n} {{
      server {app}-backend.{namespace}.svc.cluster.local:9000 max_fails=3;
    }}
    ---
    # the line above is text inside the block, not a document marker
    timeout 30s;
    retries 3;
    location /api/ {{
      proxy_pass http://backend-{n};
      proxy_set_header X-Request-Id $request_id;
      proxy_read_timeout 60s;
    }}
    location /static/ {{
      root /srv/{app}/static;
      expires 7d;
    }}
  feature-flags: "search,export,audit-{n}"
  replicas: "{replicas}"
"""

_SERVICE = """\
---
# Source: {app}/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {namespace}
  labels:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/managed-by: Helm
  annotations:
    prometheus.io/scrape: "true"
    prometheus.io/port: "8080"
spec:
  type: ClusterIP
  ports:
    - port: 80
      targetPort: http
      protocol: TCP
      name: http
  selector:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/instance: {app}
"""


def filler_documents(start: int = 0) -> Iterator[str]:
    """An endless series of ordinary application documents (three per application)."""
    n = start
    while True:
        fields = {
            "app": f"app-{n:06d}",
            "n": n,
            "namespace": f"team-{n % 37:02d}",
            "team": n % 37,
            "replicas": 1 + n % 5,
            "cpu": 50 + (n * 7) % 450,
            "memory": 64 + (n * 13) % 960,
            "checksum": hashlib.sha256(str(n).encode()).hexdigest(),
        }
        yield _DEPLOYMENT.format(**fields)
        yield _CONFIGMAP.format(**fields)
        yield _SERVICE.format(**fields)
        n += 1


def write_stream(path: Path, size: int, fixture: bytes) -> int:
    """Write about ``size`` bytes: filler, the fixture's render, filler. The document count."""
    documents = fixture.count(b"\n---") + fixture.startswith(b"---")
    half = (size - len(fixture)) // 2
    filler = filler_documents()
    with open(path, "wb") as out:
        written = 0
        for limit in (half, size - len(fixture)):
            while written < limit:
                text = next(filler).encode()
                out.write(text)
                written += len(text)
                documents += 1
            if limit == half:
                out.write(fixture if fixture.endswith(b"\n") else fixture + b"\n")
    return documents
