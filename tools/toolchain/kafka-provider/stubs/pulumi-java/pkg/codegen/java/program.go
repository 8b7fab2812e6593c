// Package java is a local stand-in; see tools/toolchain/kafka-provider/stubs/README.md.
package java

import (
	"errors"

	"github.com/hashicorp/hcl/v2"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
)

// GenerateProgram always fails: Java example generation is not built in.
func GenerateProgram(*pcl.Program) (map[string][]byte, hcl.Diagnostics, error) {
	return nil, nil, errors.New("java program generation is not available in this build")
}
