{{/*
A pre-install/pre-upgrade hook Job running the Mercato CLI from the service image. Hooks run before
the release's ConfigMaps exist, so the environment is inlined. The Job is deleted when it
succeeds and kept (with its pod logs) when it fails.
Call with (dict "root" $ "name" <job suffix> "weight" <n> "args" <list> "databaseSecret" <name> "description" <text>).
*/}}
{{- define "mercato.hookJob" -}}
{{- $root := .root -}}
{{- $ctx := dict "root" $root "component" "setup" -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "mercato.componentName" (dict "root" $root "component" .name) }}
  labels:
    {{- include "mercato.componentLabels" $ctx | nindent 4 }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: {{ .weight | quote }}
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
    mercato.dev/description: {{ .description | quote }}
spec:
  backoffLimit: {{ $root.Values.setup.backoffLimit }}
  activeDeadlineSeconds: {{ $root.Values.setup.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "mercato.selectorLabels" $ctx | nindent 8 }}
        app.kubernetes.io/part-of: mercato
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- if $root.Values.image.pullSecrets }}
      {{- include "mercato.imagePullSecrets" $root | nindent 6 }}
      {{- end }}
      securityContext:
        {{- include "mercato.podSecurityContext" $root | nindent 8 }}
      {{- if $root.Values.gpuNodes.keepOtherPodsOff }}
      affinity:
        {{- include "mercato.avoidGpuNodes" $root | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .name }}
          image: {{ include "mercato.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args:
            - node
            - dist/scripts/cli/src/main.js
            {{- range .args }}
            - {{ . | quote }}
            {{- end }}
          env:
            {{- range $k, $val := include "mercato.config" (dict "root" $root "key" "" "name" "cli") | fromYaml }}
            - name: {{ $k }}
              value: {{ $val | toString | quote }}
            {{- end }}
            {{- include "mercato.dynamicEnv" (dict "root" $root "name" "cli") | nindent 12 }}
          resources:
            {{- toYaml $root.Values.setup.resources | nindent 12 }}
          securityContext:
            {{- include "mercato.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            {{- include "mercato.volumeMounts" (dict "root" $root "key" "") | nindent 12 }}
      volumes:
        {{- include "mercato.volumes" (dict "root" $root "key" "" "databaseSecret" .databaseSecret) | nindent 8 }}
{{- end -}}
