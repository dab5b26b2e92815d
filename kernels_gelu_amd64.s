//go:build !purego

// GELU kernels (AVX-512 and AVX2): per element exactly the float32
// operations of geluGeneric (kernels_gelu.go), so the results are
// bit-identical to it. The 16-entry coefficient rows geluCoef[k] are held in
// registers (AVX-512) or read from memory (AVX2) and indexed by VPERMPS. n is
// a multiple of the register width; the Go wrapper runs a tail through a
// zero-padded buffer.

#include "textflag.h"

DATA gelu_cut<>+0(SB)/4, $0x40c00000   // 6
DATA gelu_magic<>+0(SB)/4, $0x4a800000 // 2²², ulp 1/2
DATA gelu_negz<>+0(SB)/4, $0x80000000  // −0
DATA gelu_two<>+0(SB)/4, $0x40000000   // 2
DATA gelu_half<>+0(SB)/4, $0x3f000000  // 1/2
DATA gelu_abs<>+0(SB)/4, $0x7fffffff
DATA gelu_seven<>+0(SB)/4, $7
GLOBL gelu_cut<>(SB), RODATA|NOPTR, $4
GLOBL gelu_magic<>(SB), RODATA|NOPTR, $4
GLOBL gelu_negz<>(SB), RODATA|NOPTR, $4
GLOBL gelu_two<>(SB), RODATA|NOPTR, $4
GLOBL gelu_half<>(SB), RODATA|NOPTR, $4
GLOBL gelu_abs<>(SB), RODATA|NOPTR, $4
GLOBL gelu_seven<>(SB), RODATA|NOPTR, $4

// GELU512 computes one vector: x in X, result in O; T1–T6 are scratch.
//   v = |min(x, 6)| (VRANGEPS min, sign cleared), tc = min(|x|, 6) (VRANGEPS
//   min-abs, sign cleared), i = low bits of tc + 2²² rounded toward zero
//   (= trunc(2·tc)), s = tc − trunc(2·tc)/2 (VREDUCEPS, M = 1, truncate),
//   p = Horner over the permuted coefficient rows, r = max(−0, x) (x on ties
//   and NaN), out = r − v·p.
#define GELU512(X, O, T1, T2, T3, T4, T5) \
	VRANGEPS $0x08, Z22, X, T1 \
	VRANGEPS $0x0a, Z22, X, T2 \
	VADDPS.RZ_SAE Z23, T2, T3 \
	VREDUCEPS $0x1b, T2, T2 \
	VPERMPS Z21, T3, T4 \
	VPERMPS Z20, T3, T5 \
	VFMADD213PS T5, T2, T4 \
	VPERMPS Z19, T3, T5 \
	VFMADD213PS T5, T2, T4 \
	VPERMPS Z18, T3, T5 \
	VFMADD213PS T5, T2, T4 \
	VPERMPS Z17, T3, T5 \
	VFMADD213PS T5, T2, T4 \
	VPERMPS Z16, T3, T5 \
	VFMADD213PS T5, T2, T4 \
	VMAXPS X, Z24, O \
	VFNMADD231PS T4, T1, O

// func geluAVX512(a *geluArgs)
TEXT ·geluAVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ 0(DI), R8
	MOVQ 8(DI), R9
	MOVQ 16(DI), CX
	MOVQ 24(DI), R10
	VMOVUPS 0(R10), Z16
	VMOVUPS 64(R10), Z17
	VMOVUPS 128(R10), Z18
	VMOVUPS 192(R10), Z19
	VMOVUPS 256(R10), Z20
	VMOVUPS 320(R10), Z21
	VBROADCASTSS gelu_cut<>(SB), Z22
	VBROADCASTSS gelu_magic<>(SB), Z23
	VBROADCASTSS gelu_negz<>(SB), Z24

gelu512_loop2:
	CMPQ CX, $32
	JLT gelu512_one
	VMOVUPS (R9), Z0
	VMOVUPS 64(R9), Z8
	GELU512(Z0, Z7, Z1, Z2, Z3, Z4, Z5)
	GELU512(Z8, Z15, Z9, Z10, Z11, Z12, Z13)
	VMOVUPS Z7, (R8)
	VMOVUPS Z15, 64(R8)
	ADDQ $128, R8
	ADDQ $128, R9
	SUBQ $32, CX
	JMP gelu512_loop2

gelu512_one:
	CMPQ CX, $16
	JLT gelu512_done
	VMOVUPS (R9), Z0
	GELU512(Z0, Z7, Z1, Z2, Z3, Z4, Z5)
	VMOVUPS Z7, (R8)

gelu512_done:
	VZEROUPPER
	RET

// func geluAVX2(a *geluArgs)
// As geluAVX512 with AVX2 operations: v = |min(x, 6)| (VMINPS, VANDPS),
// tc = min(v, 6), f = trunc(2·tc) (VROUNDPS), s = tc − f/2 (one fused
// operation, exact), i = int(f); each coefficient is VPERMPS of the low and
// the high half of its row (from memory), blended on i ≥ 8, or of the low
// half only when no lane has i ≥ 8 (|x| < 4, the common case).
TEXT ·geluAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ 0(DI), R8
	MOVQ 8(DI), R9
	MOVQ 16(DI), CX
	MOVQ 24(DI), R10
	VBROADCASTSS gelu_cut<>(SB), Y10
	VBROADCASTSS gelu_negz<>(SB), Y11
	VBROADCASTSS gelu_two<>(SB), Y12
	VBROADCASTSS gelu_half<>(SB), Y13
	VBROADCASTSS gelu_abs<>(SB), Y14
	VPBROADCASTD gelu_seven<>(SB), Y15

gelu2_loop:
	CMPQ CX, $8
	JLT gelu2_done
	VMOVUPS (R9), Y0             // x
	VMINPS Y10, Y0, Y1
	VANDPS Y14, Y1, Y1           // v = |min(x, 6)|
	VMINPS Y10, Y1, Y2           // tc = min(v, 6)
	VMULPS Y12, Y2, Y3
	VROUNDPS $3, Y3, Y3          // f = trunc(2·tc)
	VFNMADD231PS Y13, Y3, Y2     // s = tc − f/2 (exact)
	VCVTTPS2DQ Y3, Y3            // i
	VPCMPGTD Y15, Y3, Y4         // i ≥ 8
	VMOVMSKPS Y4, AX
	TESTL AX, AX
	JNZ gelu2_hi
	// All lanes in intervals 0–7 (|x| < 4): the low halves of the rows.
	VPERMPS 320(R10), Y3, Y5     // c5
	VPERMPS 256(R10), Y3, Y6     // c4
	VFMADD213PS Y6, Y2, Y5
	VPERMPS 192(R10), Y3, Y6     // c3
	VFMADD213PS Y6, Y2, Y5
	VPERMPS 128(R10), Y3, Y6     // c2
	VFMADD213PS Y6, Y2, Y5
	VPERMPS 64(R10), Y3, Y6      // c1
	VFMADD213PS Y6, Y2, Y5
	VPERMPS 0(R10), Y3, Y6       // c0
	VFMADD213PS Y6, Y2, Y5       // p
	JMP gelu2_out
gelu2_hi:
	VPERMPS 320(R10), Y3, Y5     // c5
	VPERMPS 352(R10), Y3, Y6
	VBLENDVPS Y4, Y6, Y5, Y5
	VPERMPS 256(R10), Y3, Y6     // c4
	VPERMPS 288(R10), Y3, Y7
	VBLENDVPS Y4, Y7, Y6, Y6
	VFMADD213PS Y6, Y2, Y5
	VPERMPS 192(R10), Y3, Y6     // c3
	VPERMPS 224(R10), Y3, Y7
	VBLENDVPS Y4, Y7, Y6, Y6
	VFMADD213PS Y6, Y2, Y5
	VPERMPS 128(R10), Y3, Y6     // c2
	VPERMPS 160(R10), Y3, Y7
	VBLENDVPS Y4, Y7, Y6, Y6
	VFMADD213PS Y6, Y2, Y5
	VPERMPS 64(R10), Y3, Y6      // c1
	VPERMPS 96(R10), Y3, Y7
	VBLENDVPS Y4, Y7, Y6, Y6
	VFMADD213PS Y6, Y2, Y5
	VPERMPS 0(R10), Y3, Y6       // c0
	VPERMPS 32(R10), Y3, Y7
	VBLENDVPS Y4, Y7, Y6, Y6
	VFMADD213PS Y6, Y2, Y5       // p
gelu2_out:
	VMAXPS Y0, Y11, Y6           // r = max(−0, x)
	VFNMADD231PS Y5, Y1, Y6      // r − v·p
	VMOVUPS Y6, (R8)
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JMP gelu2_loop

gelu2_done:
	VZEROUPPER
	RET
