"""Tests against a real API server: etcd and kube-apiserver on 127.0.0.1, real helm 3 and 4."""
