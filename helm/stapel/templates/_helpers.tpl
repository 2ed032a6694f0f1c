{{/*
Names, labels and the pieces shared by the API, worker and migration pods.
*/}}

{{- define "stapel.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's resources, at most 52 characters so that suffixes such as
"-migrate" or "-worker" keep every name within the 63 characters of a label value.
*/}}
{{- define "stapel.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "stapel.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels of one component: (dict "ctx" $ "component" "api") */}}
{{- define "stapel.selectorLabels" -}}
app.kubernetes.io/name: {{ include "stapel.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* All labels of one component's resources: (dict "ctx" $ "component" "api") */}}
{{- define "stapel.labels" -}}
helm.sh/chart: {{ include "stapel.chart" .ctx }}
{{ include "stapel.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: stapel
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "stapel.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "stapel.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The service account of the migration hook: its own short-lived copy when the chart creates
one (the release's is not there yet on install). */}}
{{- define "stapel.migrationServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- printf "%s-migrate" (include "stapel.fullname" .) }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "stapel.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding the three secret settings, and its keys. */}}
{{- define "stapel.secretName" -}}
{{- if .Values.existingSecret.name }}
{{- .Values.existingSecret.name }}
{{- else }}
{{- include "stapel.fullname" . }}
{{- end }}
{{- end }}

{{- define "stapel.secretKeys" -}}
{{- if .Values.existingSecret.name -}}
databaseUrl: {{ .Values.existingSecret.databaseUrlKey | quote }}
keyEncryptionKey: {{ .Values.existingSecret.keyEncryptionKeyKey | quote }}
learnerLookupKey: {{ .Values.existingSecret.learnerLookupKeyKey | quote }}
{{- else -}}
databaseUrl: STAPEL_DATABASE_URL
keyEncryptionKey: STAPEL_KEY_ENCRYPTION_KEY
learnerLookupKey: STAPEL_LEARNER_LOOKUP_KEY
{{- end }}
{{- end }}

{{/*
Checks of the values that the schema cannot express. Included by every template that needs the
settings, so `helm template`, `helm lint` and `helm install` all stop with the same message.
*/}}
{{- define "stapel.validate" -}}
{{- $url := required "publicBaseUrl is required: the absolute http(s) URL under which Stapel is reached from outside, e.g. --set publicBaseUrl=https://badges.example.org" .Values.publicBaseUrl }}
{{- if not (regexMatch "^https?://[^/?#]+(/[^?#]*[^/?#])?$" $url) }}
{{- fail (printf "publicBaseUrl %q must be an absolute http(s) URL without a trailing slash, query or fragment, e.g. https://badges.example.org" $url) }}
{{- end }}
{{- $s := .Values.secret }}
{{- if .Values.existingSecret.name }}
{{- if or $s.databaseUrl $s.keyEncryptionKey $s.learnerLookupKey }}
{{- fail "existingSecret.name is set and so are secret.* values: give the secret settings either in secret.databaseUrl/keyEncryptionKey/learnerLookupKey or in the existing Secret, not both" }}
{{- end }}
{{- else }}
{{- $hint := "; or set existingSecret.name to a Secret you manage that holds STAPEL_DATABASE_URL, STAPEL_KEY_ENCRYPTION_KEY and STAPEL_LEARNER_LOOKUP_KEY" }}
{{- $_ := required (printf "secret.databaseUrl is required: the postgresql:// URL of the database%s" $hint) $s.databaseUrl }}
{{- $_ := required (printf "secret.keyEncryptionKey is required: 32 random bytes, base64%s" $hint) $s.keyEncryptionKey }}
{{- $_ := required (printf "secret.learnerLookupKey is required: 32 random bytes, base64, different from the key-encryption key%s" $hint) $s.learnerLookupKey }}
{{- range $key := list "keyEncryptionKey" "learnerLookupKey" }}
{{- if not (regexMatch "^[A-Za-z0-9+/_-]{43}=?$" (index $s $key)) }}
{{- fail (printf "secret.%s must be 32 random bytes in base64 (43 characters and an optional '='); generate one with: python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'" $key) }}
{{- end }}
{{- end }}
{{- if not (regexMatch "^postgres(ql)?(\\+asyncpg)?://" $s.databaseUrl) }}
{{- fail "secret.databaseUrl must be a postgresql:// URL, e.g. postgresql://stapel:password@postgres.example.org:5432/stapel" }}
{{- end }}
{{- if eq $s.keyEncryptionKey $s.learnerLookupKey }}
{{- fail "secret.keyEncryptionKey and secret.learnerLookupKey must be different keys" }}
{{- end }}
{{- end }}
{{- range $component := list "api" "worker" }}
{{- $pdb := (index $.Values $component).podDisruptionBudget }}
{{- if and $pdb.enabled (kindIs "invalid" $pdb.minAvailable) (kindIs "invalid" $pdb.maxUnavailable) }}
{{- fail (printf "%s.podDisruptionBudget: set minAvailable or maxUnavailable (minAvailable wins when both are set)" $component) }}
{{- end }}
{{- $hpa := (index $.Values $component).autoscaling }}
{{- if and $hpa.enabled (kindIs "invalid" $hpa.targetCPUUtilizationPercentage) (kindIs "invalid" $hpa.targetMemoryUtilizationPercentage) }}
{{- fail (printf "%s.autoscaling: set targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage (or both)" $component) }}
{{- end }}
{{- if and $hpa.enabled (gt (int $hpa.minReplicas) (int $hpa.maxReplicas)) }}
{{- fail (printf "%s.autoscaling: minReplicas is larger than maxReplicas" $component) }}
{{- end }}
{{- end }}
{{- if and .Values.ingress.enabled (empty .Values.ingress.hosts) }}
{{- fail "ingress.enabled needs at least one entry in ingress.hosts" }}
{{- end }}
{{- end }}

{{/* Pod annotations: the configuration checksums make the pods roll when a setting changes. */}}
{{- define "stapel.podAnnotations" -}}
checksum/config: {{ include (print .ctx.Template.BasePath "/configmap.yaml") .ctx | sha256sum }}
checksum/secret: {{ printf "%s%s" (include (print .ctx.Template.BasePath "/secret.yaml") .ctx) (toJson .ctx.Values.existingSecret) | sha256sum }}
{{- with .ctx.Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- with .extra }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod labels: (dict "ctx" $ "component" "api" "extra" .Values.api.podLabels) */}}
{{- define "stapel.podLabels" -}}
{{ include "stapel.labels" . }}
{{- with .ctx.Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- with .extra }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The environment of every Stapel container: the ConfigMap and the secret settings.
(dict "ctx" $ "configMap" "<name>" "secret" "<name>")
*/}}
{{- define "stapel.env" -}}
{{- $keys := include "stapel.secretKeys" .ctx | fromYaml -}}
envFrom:
  - configMapRef:
      name: {{ .configMap }}
env:
  - name: STAPEL_DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ .secret }}
        key: {{ $keys.databaseUrl }}
  - name: STAPEL_KEY_ENCRYPTION_KEY
    valueFrom:
      secretKeyRef:
        name: {{ .secret }}
        key: {{ $keys.keyEncryptionKey }}
  - name: STAPEL_LEARNER_LOOKUP_KEY
    valueFrom:
      secretKeyRef:
        name: {{ .secret }}
        key: {{ $keys.learnerLookupKey }}
{{- with .ctx.Values.extraEnv }}
{{ toYaml . | indent 2 }}
{{- end }}
{{- end }}

{{/* The data of the ConfigMap (shared by the release's ConfigMap and the migration hook's). */}}
{{- define "stapel.configData" -}}
{{- $c := .Values.config -}}
STAPEL_PUBLIC_BASE_URL: {{ .Values.publicBaseUrl | quote }}
STAPEL_DB_POOL_SIZE: {{ $c.dbPoolSize | int64 | quote }}
STAPEL_DB_MAX_OVERFLOW: {{ $c.dbMaxOverflow | int64 | quote }}
STAPEL_ECTS_MIN_DEFAULT: {{ $c.ectsMinDefault | toString | quote }}
STAPEL_ECTS_MAX_DEFAULT: {{ $c.ectsMaxDefault | toString | quote }}
STAPEL_STATUS_LIST_SIZE: {{ $c.statusListSize | int64 | quote }}
STAPEL_STATUS_LIST_TTL_SECONDS: {{ $c.statusListTtlSeconds | int64 | quote }}
STAPEL_MAX_BATCH_SIZE: {{ $c.maxBatchSize | int64 | quote }}
STAPEL_LOG_LEVEL: {{ $c.logLevel | quote }}
STAPEL_LOG_FORMAT: {{ $c.logFormat | quote }}
STAPEL_GRAPHIQL: {{ $c.graphiql | toString | quote }}
STAPEL_TRUSTED_ISSUERS: {{ $c.trustedIssuers | toJson | quote }}
STAPEL_VERIFICATION_CLOCK_SKEW_SECONDS: {{ $c.verificationClockSkewSeconds | int64 | quote }}
STAPEL_VERIFICATION_MAX_TOKEN_BYTES: {{ $c.verificationMaxTokenBytes | int64 | quote }}
STAPEL_FETCH_ALLOW_PRIVATE_ADDRESSES: {{ $c.fetchAllowPrivateAddresses | toString | quote }}
STAPEL_FETCH_TIMEOUT_SECONDS: {{ $c.fetchTimeoutSeconds | toString | quote }}
STAPEL_FETCH_MAX_BYTES: {{ $c.fetchMaxBytes | int64 | quote }}
STAPEL_FETCH_MAX_REDIRECTS: {{ $c.fetchMaxRedirects | int64 | quote }}
STAPEL_FETCH_CACHE_MAX_SECONDS: {{ $c.fetchCacheMaxSeconds | int64 | quote }}
STAPEL_SIS_MAX_RESULTS_PER_EVENT: {{ $c.sisMaxResultsPerEvent | int64 | quote }}
STAPEL_SIS_MAX_EVENT_BYTES: {{ $c.sisMaxEventBytes | int64 | quote }}
STAPEL_SIS_MAX_ATTEMPTS: {{ $c.sisMaxAttempts | int64 | quote }}
STAPEL_SIS_RETRY_BASE_SECONDS: {{ $c.sisRetryBaseSeconds | toString | quote }}
STAPEL_WEBHOOK_MAX_ATTEMPTS: {{ $c.webhookMaxAttempts | int64 | quote }}
STAPEL_WEBHOOK_RETRY_BASE_SECONDS: {{ $c.webhookRetryBaseSeconds | toString | quote }}
STAPEL_WEBHOOK_TIMEOUT_SECONDS: {{ $c.webhookTimeoutSeconds | toString | quote }}
STAPEL_WEBHOOK_DISABLE_AFTER_FAILURES: {{ $c.webhookDisableAfterFailures | int64 | quote }}
STAPEL_WORKER_BATCH_SIZE: {{ $c.workerBatchSize | int64 | quote }}
STAPEL_WORKER_CONCURRENCY: {{ $c.workerConcurrency | int64 | quote }}
STAPEL_WORKER_POLL_SECONDS: {{ $c.workerPollSeconds | toString | quote }}
STAPEL_EMBEDDED_WORKER: {{ $c.embeddedWorker | toString | quote }}
{{- range $name, $value := .Values.extraConfig }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* The data of the Secret (shared by the release's Secret and the migration hook's). */}}
{{- define "stapel.secretData" -}}
STAPEL_DATABASE_URL: {{ .Values.secret.databaseUrl | b64enc | quote }}
STAPEL_KEY_ENCRYPTION_KEY: {{ .Values.secret.keyEncryptionKey | b64enc | quote }}
STAPEL_LEARNER_LOOKUP_KEY: {{ .Values.secret.learnerLookupKey | b64enc | quote }}
{{- end }}

{{/* Topology spread constraints, with the component's selector labels filled in. */}}
{{- define "stapel.topologySpreadConstraints" -}}
{{- $selector := include "stapel.selectorLabels" . | fromYaml }}
{{- range .constraints }}
{{- $constraint := deepCopy . }}
{{- if not (hasKey $constraint "labelSelector") }}
{{- $_ := set $constraint "labelSelector" (dict "matchLabels" $selector) }}
{{- end }}
- {{ toYaml $constraint | nindent 2 | trim }}
{{- end }}
{{- end }}

{{/* The /tmp emptyDir. */}}
{{- define "stapel.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{/* Egress rules of the API, worker and migration pods (a list): DNS and Postgres. */}}
{{- define "stapel.egressBase" -}}
{{- $np := .Values.networkPolicy }}
{{- $dns := dict "ports" (list (dict "protocol" "UDP" "port" 53) (dict "protocol" "TCP" "port" 53)) }}
{{- with $np.dns.to }}
{{- $_ := set $dns "to" . }}
{{- end }}
{{- $database := dict "ports" (list (dict "protocol" "TCP" "port" (int $np.database.port))) }}
{{- with $np.database.to }}
{{- $_ := set $database "to" . }}
{{- end }}
{{- toYaml (list $dns $database) }}
{{- end }}

{{/* Egress rules of the API and worker pods: DNS, Postgres, HTTPS and the extra rules. */}}
{{- define "stapel.egress" -}}
{{- $np := .Values.networkPolicy }}
{{- $rules := include "stapel.egressBase" . | fromYamlArray }}
{{- if $np.https.enabled }}
{{- $ports := list }}
{{- range $np.https.ports }}
{{- $ports = append $ports (dict "protocol" "TCP" "port" (int .)) }}
{{- end }}
{{- $https := dict "ports" $ports }}
{{- with $np.https.to }}
{{- $_ := set $https "to" . }}
{{- end }}
{{- $rules = append $rules $https }}
{{- end }}
{{- toYaml (concat $rules $np.extraEgress) }}
{{- end }}

{{/*
Pod-level fields shared by the API, worker and migration pods:
(dict "ctx" $ "component" "api" "serviceAccountName" "<name>" "constraints" <list>)
*/}}
{{- define "stapel.podCommon" -}}
{{- $v := .ctx.Values -}}
serviceAccountName: {{ .serviceAccountName }}
automountServiceAccountToken: false
# Service links would add STAPEL_*-prefixed variables (STAPEL_PORT, ...) to the environment.
enableServiceLinks: false
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml $v.podSecurityContext | nindent 2 }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .constraints }}
topologySpreadConstraints:
  {{- include "stapel.topologySpreadConstraints" (dict "ctx" $.ctx "component" $.component "constraints" .) | trim | nindent 2 }}
{{- end }}
{{- end }}

{{/* An HTTP probe: (dict "path" "/healthz" "port" "http" "probe" .Values.api.livenessProbe) */}}
{{- define "stapel.probe" -}}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
{{- range $field := list "initialDelaySeconds" "periodSeconds" "timeoutSeconds" "failureThreshold" "successThreshold" }}
{{- if hasKey $.probe $field }}
{{ $field }}: {{ index $.probe $field }}
{{- end }}
{{- end }}
{{- end }}
