// kube is the real kube-apiserver, kube-controller-manager and kubectl of Kubernetes, built from
// the k8s.io/kubernetes Go module (the same commands as upstream's cmd/), as one multi-call binary
// so they share one link: `kube apiserver|controller-manager|kubectl <args>`.
// scripts/kube/chart-e2e.sh builds it once per version into .mercato/ and runs it against etcd.
package main

import (
	"fmt"
	"os"
	_ "time/tzdata" // CronJob time zones, as upstream's mains import

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubectl "k8s.io/kubectl/pkg/cmd"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	commands := map[string]func() *cobra.Command{
		"apiserver":          apiserver.NewAPIServerCommand,
		"controller-manager": controllermanager.NewControllerManagerCommand,
		"kubectl":            kubectl.NewDefaultKubectlCommand,
	}
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: kube apiserver|controller-manager|kubectl [args]")
		os.Exit(64)
	}
	// Each command sees the argv it would have as its own binary (kubectl reads os.Args for plugins).
	os.Args = os.Args[1:]
	command := commands[os.Args[0]]()
	command.SetArgs(os.Args[1:])
	os.Exit(cli.Run(command))
}
