// Command pulumi-tfgen-kafka generates the Pulumi package schema for the
// bridged Kafka provider.
//
//	pulumi-tfgen-kafka schema --skip-examples --out DIR
//	    writes DIR/schema.json and DIR/bridge-metadata.json (tfgen).
//	pulumi-tfgen-kafka stamp-schema IN OUT
//	    copies schema IN to OUT with "version" set to the version this
//	    binary was linked with (tfgen leaves it out on purpose).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	"evidentsource.local/kafka-provider/provider"
)

func main() {
	if provider.Version == "" {
		fmt.Fprintln(os.Stderr, "pulumi-tfgen-kafka: built without a version; "+
			"link with -ldflags \"-X evidentsource.local/kafka-provider/provider.Version=<version>\"")
		os.Exit(2)
	}
	if len(os.Args) > 1 && os.Args[1] == "stamp-schema" {
		if len(os.Args) != 4 {
			fmt.Fprintln(os.Stderr, "usage: pulumi-tfgen-kafka stamp-schema IN OUT")
			os.Exit(2)
		}
		if err := stampSchema(os.Args[2], os.Args[3], provider.Version); err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-tfgen-kafka: stamp-schema: %v\n", err)
			os.Exit(1)
		}
		return
	}
	tfgen.Main("kafka", provider.Version, provider.Provider(nil))
}

// stampSchema round-trips the schema through the typed PackageSpec (so
// that a malformed schema fails here, not at provider start-up) and sets
// its version.
func stampSchema(in, out, version string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("parsing %s: %w", in, err)
	}
	if spec.Name != "kafka" {
		return fmt.Errorf("%s: package name is %q, want \"kafka\"", in, spec.Name)
	}
	spec.Version = version
	stamped, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	return os.WriteFile(out, stamped, 0o644)
}
