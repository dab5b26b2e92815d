//go:build ignore

// kernels_scanunit_gen writes kernels_scanunit_amd64.s (run by go generate in
// the package directory: go run kernels_scanunit_gen.go), or the file named by
// its first argument.

package main

import (
	"fmt"
	"os"
	"strings"
)

var b strings.Builder

func p(f string, a ...any) { fmt.Fprintf(&b, "\t"+f+"\n", a...) }
func l(s string)           { fmt.Fprintf(&b, "%s:\n", s) }

// scanArgs offsets (kernels_asm.go).
const (
	oARe, oAIm, oCRe, oCIm, oD, oU, oY, oXRe, oXIm, oN, oT, oStride = 0, 8, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104
)

// avx512 writes scanUnitAVX512: modes in groups of four with every
// coefficient and the state in registers (ar Z0–3, ai Z4–7, 2·cr Z8–11,
// 2·ci Z12–15, xr Z16–19, xi Z20–23; u Z24, y Z25, ai·xr in Z26–29, then
// Z26 the second mode sum), then one at a time.
func avx512() {
	b.WriteString("// func scanUnitAVX512(a *scanArgs)\nTEXT ·scanUnitAVX512(SB), NOSPLIT, $0-8\n")
	p("MOVQ a+0(FP), DI")
	p("MOVQ %d(DI), CX", oT)
	p("TESTQ CX, CX")
	p("JZ su512_ret")
	// y starts as d·u: the first mode group computes it from the u it loads (R12 = 1
	// while that group runs: the same product and rounding as a separate pass); with no
	// modes a pass of its own writes it.
	p("MOVQ %d(DI), AX", oD)
	p("VMOVUPS (AX), Z31")
	p("MOVQ %d(DI), R10", oN)
	p("XORQ R11, R11")
	p("MOVQ $1, R12")
	p("TESTQ R10, R10")
	p("JNZ su512_g4")
	p("MOVQ %d(DI), R8", oU)
	p("MOVQ %d(DI), R9", oY)
	p("MOVQ CX, BX")
	l("su512_pre")
	p("VMULPS (R8), Z31, Z0")
	p("VMOVUPS Z0, (R9)")
	p("ADDQ %d(DI), R8", oStride)
	p("ADDQ %d(DI), R9", oStride)
	p("DECQ BX")
	p("JNZ su512_pre")
	p("JMP su512_done")
	for _, g := range []int{4, 1} {
		lab := fmt.Sprintf("su512_g%d", g)
		next := "su512_g1"
		if g == 1 {
			next = "su512_done"
		}
		l(lab)
		p("CMPQ R10, $%d", g)
		p("JLT %s", next)
		for _, r := range []struct{ off, base int }{{oARe, 0}, {oAIm, 4}, {oCRe, 8}, {oCIm, 12}, {oXRe, 16}, {oXIm, 20}} {
			p("MOVQ %d(DI), AX", r.off)
			for i := 0; i < g; i++ {
				p("VMOVUPS %d(AX)(R11*1), Z%d", 64*i, r.base+i)
			}
		}
		for i := 0; i < g; i++ { // the factor 2 of y = 2·Re Σ c·x folded into c
			p("VADDPS Z%d, Z%d, Z%d", 8+i, 8+i, 8+i)
			p("VADDPS Z%d, Z%d, Z%d", 12+i, 12+i, 12+i)
		}
		p("MOVQ %d(DI), R8", oU)
		p("MOVQ %d(DI), R9", oY)
		p("MOVQ CX, BX")
		l(lab + "_t")
		p("VMOVUPS (R8), Z24")
		p("TESTQ R12, R12")
		p("JZ %s_y", lab)
		p("VMULPS Z24, Z31, Z25") // the first group: y = d·u
		p("JMP %s_x", lab)
		l(lab + "_y")
		p("VMOVUPS (R9), Z25")
		l(lab + "_x")
		for i := 0; i < g; i++ {
			ar, ai, xr, xi, tmp := i, 4+i, 16+i, 20+i, 26+i
			p("VMULPS Z%d, Z%d, Z%d", xr, ai, tmp)      // tmp = ai·xr
			p("VFMADD213PS Z24, Z%d, Z%d", ar, xr)      // xr = ar·xr + u
			p("VFNMADD231PS Z%d, Z%d, Z%d", xi, ai, xr) // xr = xr − ai·xi
			p("VFMADD213PS Z%d, Z%d, Z%d", tmp, ar, xi) // xi = ar·xi + tmp
		}
		// y += Σ 2cr·xr − 2ci·xi: with four modes, modes 2 and 3 go to a second sum (Z26)
		// added at the end, which halves the chain of dependent FMAs on y per step.
		half := g
		if g == 4 {
			half = 2
		}
		for i := 0; i < half; i++ {
			p("VFMADD231PS Z%d, Z%d, Z25", 16+i, 8+i)   // y += 2cr·xr
			p("VFNMADD231PS Z%d, Z%d, Z25", 20+i, 12+i) // y −= 2ci·xi
		}
		if half < g {
			p("VMULPS Z%d, Z%d, Z26", 16+half, 8+half)
			p("VFNMADD231PS Z%d, Z%d, Z26", 20+half, 12+half)
			for i := half + 1; i < g; i++ {
				p("VFMADD231PS Z%d, Z%d, Z26", 16+i, 8+i)
				p("VFNMADD231PS Z%d, Z%d, Z26", 20+i, 12+i)
			}
			p("VADDPS Z26, Z25, Z25")
		}
		p("VMOVUPS Z25, (R9)")
		p("ADDQ %d(DI), R8", oStride)
		p("ADDQ %d(DI), R9", oStride)
		p("DECQ BX")
		p("JNZ %s_t", lab)
		for _, r := range []struct{ off, base int }{{oXRe, 16}, {oXIm, 20}} {
			p("MOVQ %d(DI), AX", r.off)
			for i := 0; i < g; i++ {
				p("VMOVUPS Z%d, %d(AX)(R11*1)", r.base+i, 64*i)
			}
		}
		p("XORQ R12, R12")
		p("ADDQ $%d, R11", 64*g)
		p("SUBQ $%d, R10", g)
		p("JMP %s", lab)
	}
	l("su512_done")
	p("VZEROUPPER")
	l("su512_ret")
	p("RET")
	b.WriteString("\n")
}

// avx2 writes scanUnitAVX2: each 8-lane half of the block in turn, modes in
// groups of four (ar Y0–3, xr Y4–7, xi Y8–11 in registers; ai, c from memory;
// u Y12, the mode sum Y13, ai·xr Y14/Y15), then one at a time.
func avx2() {
	b.WriteString("// func scanUnitAVX2(a *scanArgs)\nTEXT ·scanUnitAVX2(SB), NOSPLIT, $0-8\n")
	p("MOVQ a+0(FP), DI")
	p("MOVQ %d(DI), CX", oT)
	p("TESTQ CX, CX")
	p("JZ su2_ret")
	p("XORQ R14, R14") // byte offset of the half
	l("su2_half")
	p("MOVQ %d(DI), AX", oD)
	p("VMOVUPS (AX)(R14*1), Y15")
	p("MOVQ %d(DI), R8", oU)
	p("ADDQ R14, R8")
	p("MOVQ %d(DI), R9", oY)
	p("ADDQ R14, R9")
	p("MOVQ CX, BX")
	l("su2_pre")
	p("VMULPS (R8), Y15, Y0")
	p("VMOVUPS Y0, (R9)")
	p("ADDQ %d(DI), R8", oStride)
	p("ADDQ %d(DI), R9", oStride)
	p("DECQ BX")
	p("JNZ su2_pre")
	p("MOVQ %d(DI), R10", oN)
	p("MOVQ R14, R11")
	for _, g := range []int{4, 1} {
		lab := fmt.Sprintf("su2_g%d", g)
		next := "su2_g1"
		if g == 1 {
			next = "su2_next"
		}
		l(lab)
		p("CMPQ R10, $%d", g)
		p("JLT %s", next)
		for _, r := range []struct{ off, base int }{{oARe, 0}, {oXRe, 4}, {oXIm, 8}} {
			p("MOVQ %d(DI), AX", r.off)
			for i := 0; i < g; i++ {
				p("VMOVUPS %d(AX)(R11*1), Y%d", 64*i, r.base+i)
			}
		}
		p("MOVQ %d(DI), SI", oAIm)
		p("ADDQ R11, SI")
		p("MOVQ %d(DI), DX", oCRe)
		p("ADDQ R11, DX")
		p("MOVQ %d(DI), R15", oCIm)
		p("ADDQ R11, R15")
		p("MOVQ %d(DI), R8", oU)
		p("ADDQ R14, R8")
		p("MOVQ %d(DI), R9", oY)
		p("ADDQ R14, R9")
		p("MOVQ CX, BX")
		l(lab + "_t")
		p("VMOVUPS (R8), Y12")
		for i := 0; i < g; i++ {
			tmp := 14 + i%2
			p("VMULPS %d(SI), Y%d, Y%d", 64*i, 4+i, tmp)       // tmp = ai·xr
			p("VFMADD213PS Y12, Y%d, Y%d", i, 4+i)             // xr = ar·xr + u
			p("VFNMADD231PS %d(SI), Y%d, Y%d", 64*i, 8+i, 4+i) // xr = xr − ai·xi
			p("VFMADD213PS Y%d, Y%d, Y%d", tmp, i, 8+i)        // xi = ar·xi + tmp
		}
		p("VMULPS 0(DX), Y4, Y13")
		p("VFNMADD231PS 0(R15), Y8, Y13")
		for i := 1; i < g; i++ {
			p("VFMADD231PS %d(DX), Y%d, Y13", 64*i, 4+i)
			p("VFNMADD231PS %d(R15), Y%d, Y13", 64*i, 8+i)
		}
		p("VADDPS Y13, Y13, Y13")
		p("VADDPS (R9), Y13, Y13")
		p("VMOVUPS Y13, (R9)")
		p("ADDQ %d(DI), R8", oStride)
		p("ADDQ %d(DI), R9", oStride)
		p("DECQ BX")
		p("JNZ %s_t", lab)
		for _, r := range []struct{ off, base int }{{oXRe, 4}, {oXIm, 8}} {
			p("MOVQ %d(DI), AX", r.off)
			for i := 0; i < g; i++ {
				p("VMOVUPS Y%d, %d(AX)(R11*1)", r.base+i, 64*i)
			}
		}
		p("ADDQ $%d, R11", 64*g)
		p("SUBQ $%d, R10", g)
		p("JMP %s", lab)
	}
	l("su2_next")
	p("ADDQ $32, R14")
	p("CMPQ R14, $64")
	p("JLT su2_half")
	p("VZEROUPPER")
	l("su2_ret")
	p("RET")
}

func main() {
	b.WriteString(`//go:build !purego

// Code generated by kernels_scanunit_gen.go; DO NOT EDIT.

// Scan kernels for blocks whose b is exactly 1 + 0i in every lane and mode
// (ScanParams.unitB, set by PackScan): the b·u products vanish and u enters
// the real part as the addend of a fused multiply-add,
//
//	xr' = (ar·xr + u) − ai·xi     xi' = ar·xi + ai·xr     y += 2cr·xr' − 2ci·xi'
//
// six vector operations per mode and step instead of eight. The meaning is
// scanGeneric's with b = 1, to within ScanTolerance, like scanAVX512 and
// scanAVX2. Argument block: scanArgs in kernels_asm.go (b is not read).

#include "textflag.h"

`)
	avx512()
	avx2()
	out := "kernels_scanunit_amd64.s"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
