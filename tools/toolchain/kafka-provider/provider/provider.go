// Package provider maps the Mongey Terraform Kafka provider onto Pulumi
// tokens and property names.
//
// The mapping is chosen so that the schema generated from it is
// wire-compatible with the published Python SDK pulumi_kafka 3.13.x: the
// same resource and function tokens, the same camelCase property names,
// the same required inputs, and the same provider configuration keys and
// defaults. tools/toolchain/kafka-provider/check_schema.py verifies this against the
// installed SDK after every build.
package provider

import (
	kafkatf "github.com/Mongey/terraform-provider-kafka/kafka"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// Version is the provider version. build.sh sets it with
// -ldflags "-X evidentsource.local/kafka-provider/provider.Version=<v>".
var Version string

const (
	pkgName = "kafka"
	modName = "index"

	// Upper bound for names generated for Topic.name when the program
	// leaves it unset (Kafka allows topic names up to 249 characters;
	// the bridge truncates to this length).
	autoNameMaxLen = 255
)

// resourceTok builds "kafka:index/<camel>:<Pascal>" resource tokens.
func resourceTok(typeName string) tokens.Type {
	return tfbridge.MakeResource(pkgName, modName, typeName)
}

// functionTok builds "kafka:index:<name>" function tokens. The Python SDK
// invokes data sources at the bare index module (kafka:index:getTopic), not
// at a per-function module, so MakeDataSource must not be used here.
func functionTok(name string) tokens.ModuleMember {
	return tfbridge.MakeMember(pkgName, modName, name)
}

// envDefault is a provider config default read from environment variables
// with a fallback literal.
func envDefault(value interface{}, envVars ...string) *tfbridge.SchemaInfo {
	return &tfbridge.SchemaInfo{
		Default: &tfbridge.DefaultInfo{EnvVars: envVars, Value: value},
	}
}

// Provider returns the bridged provider description. metadata is the
// bridge-metadata.json produced by tfgen (nil or empty while generating).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:                 shimv2.NewProvider(kafkatf.Provider()),
		Name:              pkgName,
		Version:           Version,
		GitHubOrg:         "Mongey",
		Description:       "A Pulumi package for creating and managing Kafka.",
		Keywords:          []string{"pulumi", "kafka"},
		License:           "Apache-2.0",
		Homepage:          "https://pulumi.io",
		Repository:        "https://github.com/pulumi/pulumi-kafka",
		TFProviderLicense: tfbridge.Ref(tfbridge.MITLicenseType),
		MetadataInfo:      tfbridge.NewProviderMetadata(metadata),

		// Same defaults (and environment variables) as the SDK's
		// Provider class applies client-side.
		Config: map[string]*tfbridge.SchemaInfo{
			"sasl_mechanism":  envDefault("plain", "KAFKA_SASL_MECHANISM"),
			"skip_tls_verify": envDefault(false, "KAFKA_SKIP_VERIFY"),
			"tls_enabled":     envDefault(true, "KAFKA_ENABLE_TLS"),
		},

		Resources: map[string]*tfbridge.ResourceInfo{
			"kafka_topic": {
				Tok: resourceTok("Topic"),
				Fields: map[string]*tfbridge.SchemaInfo{
					// Optional in the SDK: auto-named from the Pulumi
					// resource name plus a random suffix when unset.
					"name": tfbridge.AutoName("name", autoNameMaxLen, "-"),
				},
			},
			"kafka_acl": {
				Tok: resourceTok("Acl"),
				Fields: map[string]*tfbridge.SchemaInfo{
					// resource_name/resource_type would clash with the
					// resource's own name/type in the SDKs.
					"resource_name": {Name: "aclResourceName"},
					"resource_type": {Name: "aclResourceType"},
				},
			},
			"kafka_quota": {
				Tok: resourceTok("Quota"),
			},
			"kafka_user_scram_credential": {
				Tok: resourceTok("UserScramCredential"),
			},
		},

		DataSources: map[string]*tfbridge.DataSourceInfo{
			"kafka_topic":  {Tok: functionTok("getTopic")},
			"kafka_topics": {Tok: functionTok("getTopics")},
		},

		// Only the Python SDK is consumed (from PyPI); no SDKs are
		// generated from this module.
		Python: &tfbridge.PythonInfo{RespectSchemaVersion: true},
	}

	// Records the current token/field layout in bridge-metadata.json so
	// that later upstream changes keep the old names reachable.
	info.MustApplyAutoAliases()
	return info
}
