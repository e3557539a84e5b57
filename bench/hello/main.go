// Command hello does nothing and exits 0: the start-up of a static Go
// program, the floor every kage command is measured against. Built like
// kage (static, stripped), so that only what kage does differs.
package main

func main() {}
