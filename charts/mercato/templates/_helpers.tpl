{{/*
Names, labels, images and the pod pieces every workload shares. The service catalogue (ports,
topics read, internal calls) lives in _catalogue.tpl.
*/}}

{{- define "mercato.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mercato.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<component>", e.g. mercato-model-registry. Call with (dict "root" $ "component" "x"). */}}
{{- define "mercato.componentName" -}}
{{- printf "%s-%s" (include "mercato.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mercato.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "mercato.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mercato
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of every pod of the release: what the default-deny NetworkPolicy selects. */}}
{{- define "mercato.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "mercato.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Call with (dict "root" $ "component" "x"). */}}
{{- define "mercato.componentLabels" -}}
{{ include "mercato.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "mercato.selectorLabels" -}}
{{ include "mercato.releaseSelectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Image reference. Call with (dict "image" .Values.image "defaultTag" "x"). */}}
{{- define "mercato.imageRef" -}}
{{- $repo := .image.repository -}}
{{- if .image.registry -}}
{{- $repo = printf "%s/%s" .image.registry .image.repository -}}
{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repo .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default .defaultTag .image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "mercato.image" -}}
{{- include "mercato.imageRef" (dict "image" .Values.image "defaultTag" .Chart.AppVersion) -}}
{{- end -}}

{{- define "mercato.gpuImage" -}}
{{- include "mercato.imageRef" (dict "image" .Values.training.gpu.image "defaultTag" (printf "%s-gpu" .Chart.AppVersion)) -}}
{{- end -}}

{{/* True ("true") when the training pod runs on a GPU node. */}}
{{- define "mercato.trainingOnGpu" -}}
{{- if and .Values.training.enabled .Values.training.gpu.enabled -}}true{{- end -}}
{{- end -}}

{{/* Secret holding a service's DATABASE_URL. Call with (dict "root" $ "svc" $svc). */}}
{{- define "mercato.databaseSecret" -}}
{{- default .root.Values.database.existingSecret .svc.database.existingSecret -}}
{{- end -}}

{{/*
Environment of a process, as a flat map rendered into a ConfigMap (services) or inline env (hook
Jobs, which run before the ConfigMaps exist). Only non-secret values: secrets are mounted files.
Call with (dict "root" $ "key" <service key or "">  "name" <service or cli name>).
*/}}
{{- define "mercato.config" -}}
{{- $v := .root.Values -}}
{{- $fullname := include "mercato.fullname" .root -}}
{{- $svc := dict -}}
{{- if .key }}{{ $svc = index $v .key }}{{ end -}}
NODE_ENV: production
LOG_LEVEL: {{ default $v.logLevel $svc.logLevel | quote }}
KAFKA_BROKERS: {{ join "," $v.kafka.brokers | quote }}
KAFKA_CLIENT_ID: {{ printf "mercato-%s" .name | quote }}
KAFKA_SSL: {{ $v.kafka.ssl | toString | quote }}
KAFKA_SESSION_TIMEOUT_MS: {{ $v.kafka.sessionTimeoutMs | toString | quote }}
{{- if $v.kafka.sasl.mechanism }}
KAFKA_SASL_MECHANISM: {{ $v.kafka.sasl.mechanism | quote }}
KAFKA_SASL_PASSWORD_FILE: /var/run/secrets/mercato/kafka/password
{{- end }}
DATABASE_URL_FILE: /var/run/secrets/mercato/database/url
DATABASE_SSL: {{ $v.database.ssl | toString | quote }}
{{- if $v.extraCaCerts.existingSecret }}
NODE_EXTRA_CA_CERTS: /var/run/secrets/mercato/ca/ca.crt
{{- end }}
OTEL_SERVICE_NAME: {{ .name | quote }}
{{- if $v.otel.endpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ $v.otel.endpoint | quote }}
OTEL_EXPORTER_OTLP_PROTOCOL: {{ $v.otel.protocol | quote }}
{{- end }}
OTEL_TRACES_SAMPLER: {{ $v.otel.sampler | quote }}
OTEL_TRACES_SAMPLER_ARG: {{ $v.otel.samplerArg | toString | quote }}
TRACES_HOT_ROUTE_RATIO: {{ $v.otel.hotRouteRatio | toString | quote }}
{{- if .key }}
{{- $cat := index (include "mercato.catalogue" .root | fromYaml) .key }}
SERVICE: {{ $cat.name | quote }}
HTTP_HOST: "0.0.0.0"
HTTP_PORT: {{ $cat.httpPort | int | toString | quote }}
SHUTDOWN_TIMEOUT_MS: {{ $svc.shutdownTimeoutMs | int | toString | quote }}
{{- if $cat.grpcPort }}
GRPC_PORT: {{ $cat.grpcPort | int | toString | quote }}
{{- end }}
{{- if has "feature" $cat.calls }}
FEATURE_URL: {{ printf "http://%s-feature:%d" $fullname 8082 | quote }}
{{- end }}
{{- if has "modelRegistry" $cat.calls }}
MODEL_REGISTRY_URL: {{ printf "http://%s-model-registry:%d" $fullname 8084 | quote }}
{{- end }}
{{- if eq .key "modelRegistry" }}
{{- with $v.modelRegistry.promotionPolicy }}
PROMOTION_POLICY_SENTIMENT: {{ .sentiment | quote }}
PROMOTION_POLICY_RECOMMENDER: {{ .recommender | quote }}
{{- end }}
{{- end }}
{{- if eq .key "training" }}
TF_BACKEND: {{ include "mercato.tfBackend" .root | quote }}
MODEL_ARTIFACT_DIR: /var/lib/mercato/artifacts
{{- with $v.training.retrain }}
RECOMMENDER_RETRAIN_AFTER_INTERACTIONS: {{ .afterInteractions | int | toString | quote }}
RECOMMENDER_RETRAIN_INTERVAL_S: {{ .intervalSeconds | int | toString | quote }}
RECOMMENDER_RETRAIN_HOLDOUT_S: {{ .holdoutSeconds | int | toString | quote }}
RECOMMENDER_RETRAIN_TENANTS: {{ join "," .tenants | quote }}
RETRAIN_ON_DRIFT: {{ .onDrift | toString | quote }}
RECOMMENDER_PROMOTE_TO: {{ .recommenderPromoteTo | quote }}
RETRAIN_AFTER_FEEDBACK: {{ .afterFeedback | int | toString | quote }}
{{- end }}
{{- end }}
{{- if has .key (list "ingest" "scoring") }}
PSEUDONYMIZATION_KEY_FILE: /var/run/secrets/mercato/pseudonymization/key
{{- end }}
AUTH_MODE: "required"
AUTH_KEY_CACHE_TTL_MS: {{ $v.auth.keyCacheTtlMs | int | toString | quote }}
RATE_LIMIT_RPS: {{ $v.auth.rateLimit.rps | toString | quote }}
RATE_LIMIT_BURST: {{ $v.auth.rateLimit.burst | int | toString | quote }}
RATE_LIMIT_SCOPE: {{ $v.auth.rateLimit.scope | quote }}
AUTH_JWT_TENANT_CLAIM: {{ $v.auth.jwt.tenantClaim | quote }}
AUTH_JWT_SCOPE_CLAIM: {{ $v.auth.jwt.scopeClaim | quote }}
{{- with $v.auth.jwt.jwksUrl }}
AUTH_JWKS_URL: {{ . | quote }}
{{- end }}
{{- with $v.auth.jwt.issuer }}
AUTH_JWT_ISSUER: {{ . | quote }}
{{- end }}
{{- with $v.auth.jwt.audience }}
AUTH_JWT_AUDIENCE: {{ . | quote }}
{{- end }}
{{- if has .key (list "ingest" "scoring" "training" "sentimentMonitor") }}
MERCATO_SERVICE_API_KEY_FILE: /var/run/secrets/mercato/service-key/api-key
{{- end }}
{{- if eq .key "sentimentMonitor" }}
WEBHOOK_SIGNING_SECRET_FILE: /var/run/secrets/mercato/webhook/signing-secret
{{- with $v.sentimentMonitor.traceUiUrl }}
TRACE_UI_URL: {{ . | quote }}
{{- end }}
{{- end }}
{{- if and (eq .key "training") $v.modelSigning.signingKey.existingSecret }}
MODEL_SIGNING_KEY_FILE: /var/run/secrets/mercato/model-signing/key.pem
MODEL_SIGNING_KEY_ID: {{ $v.modelSigning.signingKey.keyId | quote }}
{{- end }}
{{- if and (eq .key "scoring") $v.scoring.recsTenants }}
RECS_TENANTS: {{ join "," $v.scoring.recsTenants | quote }}
{{- end }}
{{- if and (eq .key "scoring") $v.modelSigning.trustedKeys.existingSecret }}
MODEL_VERIFY_KEYS_DIR: /var/run/secrets/mercato/model-keys
{{- end }}
{{- end }}
{{- end -}}

{{- define "mercato.tfBackend" -}}
{{- if .Values.training.tfBackend -}}
{{- .Values.training.tfBackend -}}
{{- else if .Values.training.gpu.enabled -}}
tensorflow-gpu
{{- else -}}
tensorflow
{{- end -}}
{{- end -}}

{{/* Env that cannot sit in a ConfigMap: downward API and secret-derived values. Call with (dict "root" $ "name" x). */}}
{{- define "mercato.dynamicEnv" -}}
{{- $v := .root.Values -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- $attrs := list "k8s.namespace.name=$(POD_NAMESPACE)" "k8s.pod.name=$(POD_NAME)" "service.namespace=mercato" (printf "service.version=%s" .root.Chart.AppVersion) }}
{{- range $k, $val := $v.otel.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $k (toString $val)) }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attrs | quote }}
{{- if $v.kafka.sasl.mechanism }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.usernameKey }}
{{- end }}
{{- end -}}

{{/*
Secret files and scratch space. Call with (dict "root" $ "key" <service key or ""> "databaseSecret" name).
Mode 0440 + fsGroup 10001: readable by the app user only.
*/}}
{{- define "mercato.volumes" -}}
{{- $v := .root.Values -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $v.tmpSizeLimit }}
- name: database
  secret:
    secretName: {{ .databaseSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.database.urlKey }}
        path: url
{{- if $v.kafka.sasl.mechanism }}
- name: kafka-sasl
  secret:
    secretName: {{ $v.kafka.sasl.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.kafka.sasl.passwordKey }}
        path: password
{{- end }}
{{- if $v.extraCaCerts.existingSecret }}
- name: extra-ca
  secret:
    secretName: {{ $v.extraCaCerts.existingSecret }}
    defaultMode: 0444
    items:
      - key: {{ $v.extraCaCerts.key }}
        path: ca.crt
{{- end }}
{{- if has .key (list "ingest" "scoring") }}
- name: pseudonymization
  secret:
    secretName: {{ $v.ingest.pseudonymization.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.ingest.pseudonymization.key }}
        path: key
{{- end }}
{{- if has .key (list "ingest" "scoring" "training" "sentimentMonitor") }}
- name: service-key
  secret:
    secretName: {{ $v.auth.serviceKey.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.auth.serviceKey.key }}
        path: api-key
{{- end }}
{{- if eq .key "sentimentMonitor" }}
- name: webhook
  secret:
    secretName: {{ $v.sentimentMonitor.webhook.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.sentimentMonitor.webhook.key }}
        path: signing-secret
{{- end }}
{{- if and (eq .key "training") $v.modelSigning.signingKey.existingSecret }}
- name: model-signing
  secret:
    secretName: {{ $v.modelSigning.signingKey.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.modelSigning.signingKey.key }}
        path: key.pem
{{- end }}
{{- if and (eq .key "scoring") $v.modelSigning.trustedKeys.existingSecret }}
- name: model-keys
  secret:
    secretName: {{ $v.modelSigning.trustedKeys.existingSecret }}
    defaultMode: 0444
{{- end }}
{{- if eq .key "training" }}
- name: artifacts
  emptyDir:
    sizeLimit: {{ $v.training.artifactsSizeLimit }}
{{- end }}
{{- end -}}

{{- define "mercato.volumeMounts" -}}
{{- $v := .root.Values -}}
- name: tmp
  mountPath: /tmp
- name: database
  mountPath: /var/run/secrets/mercato/database
  readOnly: true
{{- if $v.kafka.sasl.mechanism }}
- name: kafka-sasl
  mountPath: /var/run/secrets/mercato/kafka
  readOnly: true
{{- end }}
{{- if $v.extraCaCerts.existingSecret }}
- name: extra-ca
  mountPath: /var/run/secrets/mercato/ca
  readOnly: true
{{- end }}
{{- if has .key (list "ingest" "scoring") }}
- name: pseudonymization
  mountPath: /var/run/secrets/mercato/pseudonymization
  readOnly: true
{{- end }}
{{- if has .key (list "ingest" "scoring" "training" "sentimentMonitor") }}
- name: service-key
  mountPath: /var/run/secrets/mercato/service-key
  readOnly: true
{{- end }}
{{- if eq .key "sentimentMonitor" }}
- name: webhook
  mountPath: /var/run/secrets/mercato/webhook
  readOnly: true
{{- end }}
{{- if and (eq .key "training") $v.modelSigning.signingKey.existingSecret }}
- name: model-signing
  mountPath: /var/run/secrets/mercato/model-signing
  readOnly: true
{{- end }}
{{- if and (eq .key "scoring") $v.modelSigning.trustedKeys.existingSecret }}
- name: model-keys
  mountPath: /var/run/secrets/mercato/model-keys
  readOnly: true
{{- end }}
{{- if eq .key "training" }}
- name: artifacts
  mountPath: /var/lib/mercato/artifacts
{{- end }}
{{- end -}}

{{/* Pod Security Standards "restricted", fixed on purpose: nothing here is a value. */}}
{{- define "mercato.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "mercato.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Required node affinity away from GPU nodes (every pod but GPU training). */}}
{{- define "mercato.avoidGpuNodes" -}}
nodeAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    nodeSelectorTerms:
      - matchExpressions:
          - key: {{ .Values.gpuNodes.labelKey | quote }}
            operator: NotIn
            values:
              - {{ .Values.gpuNodes.labelValue | quote }}
{{- end -}}

{{- define "mercato.requireGpuNodes" -}}
nodeAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    nodeSelectorTerms:
      - matchExpressions:
          - key: {{ .Values.gpuNodes.labelKey | quote }}
            operator: In
            values:
              - {{ .Values.gpuNodes.labelValue | quote }}
{{- end -}}

{{- define "mercato.gpuToleration" -}}
- key: {{ .Values.gpuNodes.taint.key | quote }}
  operator: Equal
  value: {{ .Values.gpuNodes.taint.value | quote }}
  effect: {{ .Values.gpuNodes.taint.effect }}
{{- end -}}

{{/* Call with (dict "root" $ "component" x). */}}
{{- define "mercato.topologySpread" -}}
{{- $ts := .root.Values.topologySpread -}}
- maxSkew: {{ $ts.maxSkew }}
  topologyKey: topology.kubernetes.io/zone
  whenUnsatisfiable: {{ $ts.whenUnsatisfiable }}
  labelSelector:
    matchLabels:
      {{- include "mercato.selectorLabels" . | nindent 6 }}
  matchLabelKeys:
    - pod-template-hash
- maxSkew: {{ $ts.maxSkew }}
  topologyKey: kubernetes.io/hostname
  whenUnsatisfiable: {{ $ts.whenUnsatisfiable }}
  labelSelector:
    matchLabels:
      {{- include "mercato.selectorLabels" . | nindent 6 }}
  matchLabelKeys:
    - pod-template-hash
{{- end -}}

{{/* Only call when .Values.image.pullSecrets is not empty. */}}
{{- define "mercato.imagePullSecrets" -}}
imagePullSecrets:
{{- range .Values.image.pullSecrets }}
  - name: {{ . }}
{{- end }}
{{- end -}}

{{/* Which autoscaler owns a service's Deployment: "keda", "hpa" or "". Call with (dict "root" $ "key" k). */}}
{{/*
Tenant shards of a service (scoring.shards, RECS_SHARDS): above 1 it runs as a StatefulSet of that
many pods behind a headless Service, each pod holding its share of the tenants, and no autoscaler.
*/}}
{{- define "mercato.shards" -}}
{{- $svc := index .root.Values .key -}}
{{- if and (eq .key "scoring") (gt (int (default 1 $svc.shards)) 1) -}}
{{- int $svc.shards -}}
{{- else -}}
1
{{- end -}}
{{- end -}}

{{- define "mercato.autoscaler" -}}
{{- $svc := index .root.Values .key -}}
{{- $cat := index (include "mercato.catalogue" .root | fromYaml) .key -}}
{{- if gt (include "mercato.shards" . | int) 1 -}}
{{- /* none: a sharded service runs exactly one pod per shard */ -}}
{{- else if and .root.Values.keda.enabled $cat.topics -}}
keda
{{- else if and $svc.autoscaling.hpa $svc.autoscaling.hpa.enabled -}}
hpa
{{- end -}}
{{- end -}}

{{/* The Kafka trigger authentication the ScaledObjects use, or "" for none. */}}
{{- define "mercato.kedaAuthName" -}}
{{- if .Values.keda.authenticationRef.name -}}
{{- .Values.keda.authenticationRef.name -}}
{{- else if or .Values.kafka.sasl.mechanism .Values.extraCaCerts.existingSecret -}}
{{- include "mercato.componentName" (dict "root" . "component" "kafka") -}}
{{- end -}}
{{- end -}}
