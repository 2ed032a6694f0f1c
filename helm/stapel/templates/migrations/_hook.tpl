{{/*
Annotations of the migration hook's resources. The ConfigMap, Secret, ServiceAccount and
NetworkPolicy come first (weight -10): on install they are needed before the release's own
copies exist. They are deleted once the hooks have succeeded (or failed); the Job itself is kept
when it fails, for `kubectl logs`, until the next install or upgrade replaces it.
*/}}
{{- define "stapel.migrationHookAnnotations" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: "-10"
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded,hook-failed
{{- end }}
