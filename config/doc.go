// Package config loads Gyre's configuration from a JSON, YAML or TOML file
// and from environment variables into typed structs, using Centrifugo v6 key
// names so that an existing Centrifugo configuration works unchanged.
//
// Loading happens in four steps:
//
//  1. the file (if any) is read into a generic map;
//  2. environment variables (GYRE_ or CENTRIFUGO_ followed by the upper-cased
//     key path with "." replaced by "_") override values in that map;
//  3. unknown keys are reported as [Warning] values naming their full dotted
//     path (for example channel.namespaces[1].histroy_size);
//  4. known keys are type-checked one by one and decoded on top of
//     [Default].
//
// [Load] does not validate; call [Config.Validate] afterwards, which reports
// every problem at once as an [Errors] list of [*FieldError].
//
// [Describe] lists every key with its type, default and meaning; the
// repository's docs/config.md is generated from it by
// "go test ./config -run TestDocs -update".
package config
