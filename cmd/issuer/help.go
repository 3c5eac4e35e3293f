package main

import (
	"fmt"
	"io"
	"strings"
)

// printServeFlags prints the flags of serve, one a line: the flag, its
// default and its environment variable, then what it does.
func printServeFlags(w io.Writer, specs []flagSpec, bools []boolSpec) {
	fmt.Fprintln(w, "usage: issuer [serve] [flags]   (issuer migrate takes the same flags)")
	for _, sp := range specs {
		def := *sp.value
		if def == "" {
			def = "none"
		}
		words := strings.Split(sp.name, "-")
		printFlag(w, "--"+sp.name+" "+strings.ToUpper(words[len(words)-1]), def, sp.env, sp.help)
	}
	for _, b := range bools {
		def := "off"
		if *b.value {
			def = "on"
		}
		printFlag(w, "--"+b.name, def, b.env, b.help)
	}
}

func printFlag(w io.Writer, flag, def, env, help string) {
	fmt.Fprintf(w, "  %-30s default %s; env %s\n  %-30s %s\n", flag, def, env, "", help)
}
