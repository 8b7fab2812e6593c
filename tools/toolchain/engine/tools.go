//go:build tools

// This module pins the Pulumi CLI that bootstrap builds: `go build` of the
// package imported below, at the version go.mod requires (equal to the
// `pulumi` Python SDK pin in requirements.txt).
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
