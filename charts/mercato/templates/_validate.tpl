{{/*
validateValues: combinations values.schema.json cannot express. Every failed rule adds one line
naming the values to change; rendering stops with all of them at once.
*/}}
{{- define "mercato.validateValues" -}}
{{- $v := .Values -}}
{{- $catalogue := include "mercato.catalogue" . | fromYaml -}}
{{- $errors := list -}}

{{- /* Credentials: only references to existing secrets. */ -}}
{{- range $key := include "mercato.serviceKeys" . | fromYamlArray -}}
{{- $svc := index $v $key -}}
{{- if and $svc.enabled (not (include "mercato.databaseSecret" (dict "root" $ "svc" $svc))) -}}
{{- $errors = append $errors (printf "database.existingSecret: %s needs a Secret with the Postgres URL (key %q); set database.existingSecret (or %s.database.existingSecret)" $key $v.database.urlKey $key) -}}
{{- end -}}
{{- end -}}
{{- if and $v.kafka.sasl.mechanism (not $v.kafka.sasl.existingSecret) -}}
{{- $errors = append $errors (printf "kafka.sasl.existingSecret: SASL mechanism %q is set but no Secret holds its username/password" $v.kafka.sasl.mechanism) -}}
{{- end -}}
{{- if and $v.ingest.enabled (not $v.ingest.pseudonymization.existingSecret) -}}
{{- $errors = append $errors "ingest.pseudonymization.existingSecret: ingest needs a Secret with the pseudonymization key" -}}
{{- else if and $v.scoring.enabled (not $v.ingest.pseudonymization.existingSecret) -}}
{{- $errors = append $errors "ingest.pseudonymization.existingSecret: scoring needs the Secret with the pseudonymization key (it looks users up by their pseudonym)" -}}
{{- end -}}
{{- if and $v.sentimentMonitor.enabled (not $v.sentimentMonitor.webhook.existingSecret) -}}
{{- $errors = append $errors "sentimentMonitor.webhook.existingSecret: sentiment-monitor needs a Secret with the webhook signing secret" -}}
{{- end -}}
{{- $callers := list -}}
{{- range $key := list "ingest" "scoring" "training" -}}
{{- if (index $v $key).enabled }}{{ $callers = append $callers (index $catalogue $key).name }}{{ end -}}
{{- end -}}
{{- if and $callers (not $v.auth.serviceKey.existingSecret) -}}
{{- $errors = append $errors (printf "auth.serviceKey.existingSecret: %s call other services with the platform API key (the chart always requires authentication); create one with `mercato keys create --platform`, store it in a Secret under key %q and name that Secret here" (join ", " $callers) $v.auth.serviceKey.key) -}}
{{- end -}}
{{- if and $v.modelSigning.signingKey.existingSecret (not $v.modelSigning.signingKey.keyId) -}}
{{- $errors = append $errors "modelSigning.signingKey.keyId: training signs with the key in modelSigning.signingKey.existingSecret and needs the id scoring trusts it under" -}}
{{- end -}}
{{- if not $v.kafka.brokers -}}
{{- $errors = append $errors "kafka.brokers: at least one bootstrap server is required" -}}
{{- end -}}

{{- /* GPU training. */ -}}
{{- if and $v.training.enabled $v.training.gpu.enabled -}}
{{- if not $v.training.gpu.image.repository -}}
{{- $errors = append $errors "training.gpu.image.repository: training.gpu.enabled=true needs the GPU image (tfjs-node-gpu); set it, or set training.gpu.enabled=false to train on CPU with the CPU image" -}}
{{- end -}}
{{- if lt (int $v.training.gpu.count) 1 -}}
{{- $errors = append $errors "training.gpu.count: must be at least 1 when training.gpu.enabled=true" -}}
{{- end -}}
{{- end -}}
{{- range $key := include "mercato.serviceKeys" . | fromYamlArray -}}
{{- $svc := index $v $key -}}
{{- $asksGpu := false -}}
{{- range $kind := list "requests" "limits" -}}
{{- if hasKey (index ($svc.resources | default dict) $kind | default dict) "nvidia.com/gpu" }}{{ $asksGpu = true }}{{ end -}}
{{- end -}}
{{- if and $svc.enabled $asksGpu -}}
{{- if ne $key "training" -}}
{{- $errors = append $errors (printf "%s.resources: asks for nvidia.com/gpu, but only training is scheduled on GPU nodes: %s gets no GPU node selector or toleration, so the pod would never schedule (or land where no GPU runtime is); remove it" $key (index $catalogue $key).name) -}}
{{- else if not $svc.gpu.enabled -}}
{{- $errors = append $errors "training.resources: asks for nvidia.com/gpu while training.gpu.enabled=false, so the pod gets no GPU node selector, affinity or toleration and runs the CPU image; set training.gpu.enabled=true and training.gpu.count instead" -}}
{{- else -}}
{{- $errors = append $errors "training.resources: nvidia.com/gpu is set from training.gpu.count (request and limit); remove it from training.resources" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (eq $v.training.tfBackend "tensorflow-gpu") (not $v.training.gpu.enabled) -}}
{{- $errors = append $errors "training.tfBackend: tensorflow-gpu needs training.gpu.enabled=true (the CPU image has no tfjs-node-gpu)" -}}
{{- end -}}

{{- /* Callers need their callees. */ -}}
{{- range $key := include "mercato.serviceKeys" . | fromYamlArray -}}
{{- $cat := index $catalogue $key -}}
{{- if (index $v $key).enabled -}}
{{- range $callee := $cat.calls -}}
{{- if not (index $v $callee).enabled -}}
{{- $errors = append $errors (printf "%s.enabled: %s calls %s over HTTP; enable %s too" $callee $cat.name (index $catalogue $callee).name $callee) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* Autoscaling and drains. */ -}}
{{- range $key := include "mercato.serviceKeys" . | fromYamlArray -}}
{{- $svc := index $v $key -}}
{{- $cat := index $catalogue $key -}}
{{- if $svc.enabled -}}
{{- /* The fewest partitions among the topics the consumer reads: more replicas than that sit idle. */ -}}
{{- $smallest := 0 -}}
{{- $smallestTopic := "" -}}
{{- range $topic := $cat.topics -}}
{{- if not (hasKey $v.kafka.partitions $topic) -}}
{{- $errors = append $errors (printf "kafka.partitions: no partition count for topic %s (read by %s)" $topic $cat.name) -}}
{{- else -}}
{{- $p := int (index $v.kafka.partitions $topic) -}}
{{- if or (eq $smallestTopic "") (lt $p $smallest) -}}
{{- $smallest = $p -}}
{{- $smallestTopic = $topic -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and $smallestTopic (not (include "mercato.autoscaler" (dict "root" $ "key" $key))) (gt (int $svc.replicaCount) $smallest) -}}
{{- $errors = append $errors (printf "%s.replicaCount: %d is more than the %d partition(s) of %s that %s reads; extra replicas would sit idle in consumer group mercato-%s (lower it, or add partitions and raise kafka.partitions)" $key (int $svc.replicaCount) $smallest $smallestTopic $cat.name $cat.name) -}}
{{- end -}}
{{- if and $v.keda.enabled $cat.topics -}}
{{- $k := $svc.autoscaling.keda -}}
{{- if and $smallestTopic (gt (int $k.maxReplicaCount) $smallest) -}}
{{- $errors = append $errors (printf "%s.autoscaling.keda.maxReplicaCount: %d is more than the %d partition(s) of %s that %s reads; extra replicas would sit idle in consumer group mercato-%s (lower it, or add partitions and raise kafka.partitions)" $key (int $k.maxReplicaCount) $smallest $smallestTopic $cat.name $cat.name) -}}
{{- end -}}
{{- if gt (int $k.minReplicaCount) (int $k.maxReplicaCount) -}}
{{- $errors = append $errors (printf "%s.autoscaling.keda.minReplicaCount: %d is more than maxReplicaCount %d" $key (int $k.minReplicaCount) (int $k.maxReplicaCount)) -}}
{{- end -}}
{{- end -}}
{{- if and $svc.autoscaling.hpa $svc.autoscaling.hpa.enabled -}}
{{- if gt (int $svc.autoscaling.hpa.minReplicas) (int $svc.autoscaling.hpa.maxReplicas) -}}
{{- $errors = append $errors (printf "%s.autoscaling.hpa.minReplicas: %d is more than maxReplicas %d" $key (int $svc.autoscaling.hpa.minReplicas) (int $svc.autoscaling.hpa.maxReplicas)) -}}
{{- end -}}
{{- end -}}
{{- $drainMs := add (mul (int $v.preStopSleepSeconds) 1000) (int $svc.shutdownTimeoutMs) -}}
{{- if ge (int $drainMs) (mul (int $svc.terminationGracePeriodSeconds) 1000) -}}
{{- $errors = append $errors (printf "%s.shutdownTimeoutMs: preStopSleepSeconds (%ds) + shutdownTimeoutMs (%dms) must end before terminationGracePeriodSeconds (%ds), or the Kafka drain is killed" $key (int $v.preStopSleepSeconds) (int $svc.shutdownTimeoutMs) (int $svc.terminationGracePeriodSeconds)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* Exposure and metrics. */ -}}
{{- if and $v.metrics.serviceMonitor.enabled (not $v.metrics.enabled) -}}
{{- $errors = append $errors "metrics.serviceMonitor.enabled: needs metrics.enabled=true" -}}
{{- end -}}
{{- if and $v.metrics.prometheusRule.enabled (not $v.metrics.enabled) -}}
{{- $errors = append $errors "metrics.prometheusRule.enabled: needs metrics.enabled=true (the alerts read the services' /metrics)" -}}
{{- end -}}
{{- if and $v.metrics.grafanaDashboard.enabled (not $v.metrics.enabled) -}}
{{- $errors = append $errors "metrics.grafanaDashboard.enabled: needs metrics.enabled=true (the dashboard reads the services' /metrics)" -}}
{{- end -}}
{{- if and $v.publicApi.gatewayApi.enabled (not $v.publicApi.gatewayApi.parentRefs) -}}
{{- $errors = append $errors "publicApi.gatewayApi.parentRefs: Gateway API routes need at least one parent Gateway" -}}
{{- end -}}
{{- $anyService := false -}}
{{- range $key := include "mercato.serviceKeys" . | fromYamlArray -}}
{{- if (index $v $key).enabled }}{{ $anyService = true }}{{ end -}}
{{- end -}}
{{- if not $anyService -}}
{{- $errors = append $errors "<service>.enabled: every service is disabled; enable at least one" -}}
{{- end -}}

{{- if $errors -}}
{{- fail (printf "\n\nVALUES VALIDATION (mercato):\n  - %s\n" (join "\n  - " $errors)) -}}
{{- end -}}
{{- end -}}
