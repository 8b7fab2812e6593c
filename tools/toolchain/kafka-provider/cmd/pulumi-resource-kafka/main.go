// Command pulumi-resource-kafka is the Pulumi resource plugin for Kafka,
// bridged from the Mongey Terraform provider.
//
// It embeds two files that build.sh generates next to this source and that
// are not committed: schema-embed.json (the versioned package schema) and
// bridge-metadata.json (tfgen's record of the token mapping).
package main

import (
	_ "embed"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"evidentsource.local/kafka-provider/provider"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed bridge-metadata.json
var bridgeMetadata []byte

func main() {
	if provider.Version == "" {
		fmt.Fprintln(os.Stderr, "pulumi-resource-kafka: built without a version; "+
			"build it with tools/toolchain/kafka-provider/build.sh")
		os.Exit(2)
	}
	tfbridge.Main("kafka", provider.Version, provider.Provider(bridgeMetadata), pulumiSchema)
}
