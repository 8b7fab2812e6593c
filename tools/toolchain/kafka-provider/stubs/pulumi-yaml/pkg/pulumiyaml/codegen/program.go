// Package codegen is a local stand-in; see tools/toolchain/kafka-provider/stubs/README.md.
package codegen

import (
	"errors"

	"github.com/hashicorp/hcl/v2"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
)

// GenerateProgram always fails: YAML example generation is not built in.
func GenerateProgram(*pcl.Program) (map[string][]byte, hcl.Diagnostics, error) {
	return nil, nil, errors.New("yaml program generation is not available in this build")
}
