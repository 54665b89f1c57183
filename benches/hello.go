// hello, world in Go: the self-bootstrapping runtime rtlink models.
package main

import "os"

func main() {
	os.Stdout.Write([]byte("hello, world\n"))
}
