{{/*
The chart's view of the service catalogue (docs: shared ARCHITECTURE.md): ports, the Kafka topics
each consumer reads in its group `mercato-<name>`, and the internal HTTP calls NetworkPolicies
allow. Scoring also reads models.lifecycle.v1, but with one consumer group per pod (every replica
must see every model event to hot-swap), so that topic is not part of its scaling bound; the
registry only publishes to it. Training reads interactions.raw.v1 (in its own group) only while a
recommender retraining trigger is on: its lag there is what wakes a training scaled to zero to
count them; models.monitoring.v1 likewise while retraining on drift or after feedback is on. The sentiment monitor
reads models.monitoring.v1 too (its dashboard's drift panel). Topic names must match the catalogue in libs/contracts; partition counts are values
(kafka.partitions). Keys are the values keys, `name` the Kubernetes/service name.
*/}}
{{- define "mercato.serviceKeys" -}}
- ingest
- feature
- training
- modelRegistry
- scoring
- sentimentMonitor
{{- end -}}

{{- define "mercato.catalogue" -}}
ingest:
  name: ingest
  httpPort: 8081
  public: true
  topics: []
  calls: []
feature:
  name: feature
  httpPort: 8082
  public: false
  topics: [news.raw.v1, interactions.raw.v1, catalog.items.v1]
  calls: []
training:
  name: training
  httpPort: 8083
  public: false
  topics: [training.requests.v1{{ if include "mercato.retrainOn" . }}, interactions.raw.v1{{ end }}{{ if and .Values.training.enabled (or .Values.training.retrain.onDrift (gt (int .Values.training.retrain.afterFeedback) 0)) }}, models.monitoring.v1{{ end }}]
  calls: [feature, modelRegistry]
modelRegistry:
  name: model-registry
  httpPort: 8084
  public: true
  topics: []
  calls: []
scoring:
  name: scoring
  httpPort: 8085
  grpcPort: 9085
  public: true
  topics: [news.enriched.v1, features.user.v1]
  calls: [feature, modelRegistry]
sentimentMonitor:
  name: sentiment-monitor
  httpPort: 8086
  public: true
  topics: [news.scored.v1, models.monitoring.v1]
  calls: [feature, modelRegistry]
{{- end -}}


{{/* True ("true") when a recommender retraining trigger is on (training counts interactions). */}}
{{- define "mercato.retrainOn" -}}
{{- $r := .Values.training.retrain -}}
{{- if and .Values.training.enabled (or (gt (int $r.afterInteractions) 0) (gt (int $r.intervalSeconds) 0)) -}}true{{- end -}}
{{- end -}}
