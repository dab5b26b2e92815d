//go:build !purego

// GLU kernels: dst = a·sigmoid(b), n a multiple of the register width (the Go
// wrapper runs a tail through a zero-padded buffer, so every element takes
// the same path wherever it is). Meaning: gluGeneric, within GLUTolerance.

#include "textflag.h"

DATA gluf_cut<>+0(SB)/4, $0xc2d00000   // −104: e^−104 < 2^−150 rounds to 0
DATA gluf_sign<>+0(SB)/4, $0x80000000
DATA gluf_magic<>+0(SB)/4, $0x4b400000 // 1.5·2²³: x + magic − magic = round(x)
DATA gluf_log2e<>+0(SB)/4, $0x3fb8aa3b // log2(e)
DATA gluf_ln2<>+0(SB)/4, $0x3f318000   // ln 2, high part (9 bits: n·ln2hi exact)
DATA gluf_ln2lo<>+0(SB)/4, $0xb95e8083 // ln 2 − ln2hi
DATA gluf_c6<>+0(SB)/4, $0x3ab6ba99
DATA gluf_c5<>+0(SB)/4, $0x3c0937d3
DATA gluf_c4<>+0(SB)/4, $0x3d2aaa56
DATA gluf_c3<>+0(SB)/4, $0x3e2aaa02
DATA gluf_half<>+0(SB)/4, $0x3f000000
DATA gluf_one<>+0(SB)/4, $0x3f800000
DATA gluf_bias<>+0(SB)/4, $127
GLOBL gluf_cut<>(SB), RODATA|NOPTR, $4
GLOBL gluf_sign<>(SB), RODATA|NOPTR, $4
GLOBL gluf_magic<>(SB), RODATA|NOPTR, $4
GLOBL gluf_log2e<>(SB), RODATA|NOPTR, $4
GLOBL gluf_ln2<>(SB), RODATA|NOPTR, $4
GLOBL gluf_ln2lo<>(SB), RODATA|NOPTR, $4
GLOBL gluf_c6<>(SB), RODATA|NOPTR, $4
GLOBL gluf_c5<>(SB), RODATA|NOPTR, $4
GLOBL gluf_c4<>(SB), RODATA|NOPTR, $4
GLOBL gluf_c3<>(SB), RODATA|NOPTR, $4
GLOBL gluf_half<>(SB), RODATA|NOPTR, $4
GLOBL gluf_one<>(SB), RODATA|NOPTR, $4
GLOBL gluf_bias<>(SB), RODATA|NOPTR, $4

// GLU512 computes one vector: b in B, a at address A, result in Y; T, N, P,
// E scratch (K1 too).
//   t = max(−104, −|b|) = −min(|b|, 104)    (VMAXPS returns t if NaN)
//   n = round(t·log2e), r = (t − n·ln2hi) − n·ln2lo   (Cody–Waite, fused)
//   e = 2^n·(1 + r + r²/2 + c3·r³ + … + c6·r⁶)  Horner, VSCALEFPS  (= e^−|b|)
//   y = 1/(1 + e)                             VRCP14PS + one Newton step
//   sig = b < 0 (sign bit) ? e·y : y,  out = a·sig
#define GLU512(B, A, Y, T, N, P, E) \
	VORPS Z28, B, T \
	VMAXPS T, Z31, T \
	VMOVAPS Z20, N \
	VFMADD231PS Z30, T, N \
	VSUBPS Z20, N, N \
	VFNMADD231PS Z29, N, T \
	VFNMADD231PS Z21, N, T \
	VMOVAPS Z27, P \
	VFMADD213PS Z26, T, P \
	VFMADD213PS Z25, T, P \
	VFMADD213PS Z24, T, P \
	VFMADD213PS Z23, T, P \
	VFMADD213PS Z22, T, P \
	VFMADD213PS Z22, T, P \
	VSCALEFPS N, P, E \
	VADDPS Z22, E, N \
	VRCP14PS N, Y \
	VFNMADD213PS Z22, Y, N \
	VFMADD231PS N, Y, Y \
	VFPCLASSPSZ $0x54, B, K1 \
	VMULPS E, Y, K1, Y \
	VMULPS A, Y, Y

// func gluExpAVX512(a *gluArgs)
TEXT ·gluExpAVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ 0(DI), R8
	MOVQ 8(DI), R9
	MOVQ 16(DI), R10
	MOVQ 24(DI), CX
	VBROADCASTSS gluf_cut<>(SB), Z31
	VBROADCASTSS gluf_sign<>(SB), Z28
	VBROADCASTSS gluf_magic<>(SB), Z20
	VBROADCASTSS gluf_log2e<>(SB), Z30
	VBROADCASTSS gluf_ln2<>(SB), Z29
	VBROADCASTSS gluf_ln2lo<>(SB), Z21
	VBROADCASTSS gluf_c6<>(SB), Z27
	VBROADCASTSS gluf_c5<>(SB), Z26
	VBROADCASTSS gluf_c4<>(SB), Z25
	VBROADCASTSS gluf_c3<>(SB), Z24
	VBROADCASTSS gluf_half<>(SB), Z23
	VBROADCASTSS gluf_one<>(SB), Z22

glue512_loop2:
	CMPQ CX, $32
	JLT glue512_one
	VMOVUPS (R10), Z0
	VMOVUPS 64(R10), Z8
	GLU512(Z0, (R9), Z1, Z2, Z3, Z4, Z5)
	GLU512(Z8, 64(R9), Z9, Z10, Z11, Z12, Z13)
	VMOVUPS Z1, (R8)
	VMOVUPS Z9, 64(R8)
	ADDQ $128, R8
	ADDQ $128, R9
	ADDQ $128, R10
	SUBQ $32, CX
	JMP glue512_loop2

glue512_one:
	CMPQ CX, $16
	JLT glue512_done
	VMOVUPS (R10), Z0
	GLU512(Z0, (R9), Z1, Z2, Z3, Z4, Z5)
	VMOVUPS Z1, (R8)

glue512_done:
	VZEROUPPER
	RET

// GLU2 is GLU512 for AVX2 (b in B, a at A, result in Y; Y0–Y7 scratch
// besides): the same t, n, r and polynomial; 2^n (n ≥ −150) as two exact
// powers of two 2^⌊n/2⌋·2^(n−⌊n/2⌋), each built in the exponent field, so that
// the second product rounds once into the subnormals as VSCALEFPS does; then
// sig = (b < 0 ? e : 1)/(1 + e) by one division (VBLENDVPS on b's sign).
#define GLU2(B, A, Y) \
	VORPS Y8, B, Y0 \
	VMAXPS Y0, Y9, Y0 \
	VMULPS Y10, Y0, Y1 \
	VROUNDPS $0, Y1, Y1 \
	VFNMADD231PS Y11, Y1, Y0 \
	VFNMADD231PS Y12, Y1, Y0 \
	VBROADCASTSS gluf_c6<>(SB), Y2 \
	VBROADCASTSS gluf_c5<>(SB), Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VBROADCASTSS gluf_c4<>(SB), Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VBROADCASTSS gluf_c3<>(SB), Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VFMADD213PS Y13, Y0, Y2 \
	VFMADD213PS Y14, Y0, Y2 \
	VFMADD213PS Y14, Y0, Y2 \
	VCVTPS2DQ Y1, Y1 \
	VPSRAD $1, Y1, Y3 \
	VPSUBD Y3, Y1, Y1 \
	VPADDD Y15, Y3, Y3 \
	VPADDD Y15, Y1, Y1 \
	VPSLLD $23, Y3, Y3 \
	VPSLLD $23, Y1, Y1 \
	VMULPS Y3, Y2, Y2 \
	VMULPS Y1, Y2, Y2 \
	VADDPS Y14, Y2, Y3 \
	VBLENDVPS B, Y2, Y14, Y2 \
	VDIVPS Y3, Y2, Y2 \
	VMULPS A, Y2, Y

// func gluExpAVX2(a *gluArgs)
TEXT ·gluExpAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ 0(DI), R8
	MOVQ 8(DI), R9
	MOVQ 16(DI), R10
	MOVQ 24(DI), CX
	VBROADCASTSS gluf_sign<>(SB), Y8
	VBROADCASTSS gluf_cut<>(SB), Y9
	VBROADCASTSS gluf_log2e<>(SB), Y10
	VBROADCASTSS gluf_ln2<>(SB), Y11
	VBROADCASTSS gluf_ln2lo<>(SB), Y12
	VBROADCASTSS gluf_half<>(SB), Y13
	VBROADCASTSS gluf_one<>(SB), Y14
	VPBROADCASTD gluf_bias<>(SB), Y15

glue2_loop:
	CMPQ CX, $8
	JLT glue2_done
	VMOVUPS (R10), Y4
	GLU2(Y4, (R9), Y5)
	VMOVUPS Y5, (R8)
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	SUBQ $8, CX
	JMP glue2_loop

glue2_done:
	VZEROUPPER
	RET

// func gluRowsExpAVX512(a *gluRowsArgs)
// GLU512 over a.rows rows of the GLURows layout: row r reads a from
// src + r·2h, b from src + r·2h + h and writes dst + r·h (h a multiple of 16).
TEXT ·gluRowsExpAVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ 0(DI), R8
	MOVQ 8(DI), R11
	MOVQ 16(DI), SI
	MOVQ 24(DI), BX
	LEAQ (SI*4), DX               // row half in bytes
	VBROADCASTSS gluf_cut<>(SB), Z31
	VBROADCASTSS gluf_sign<>(SB), Z28
	VBROADCASTSS gluf_magic<>(SB), Z20
	VBROADCASTSS gluf_log2e<>(SB), Z30
	VBROADCASTSS gluf_ln2<>(SB), Z29
	VBROADCASTSS gluf_ln2lo<>(SB), Z21
	VBROADCASTSS gluf_c6<>(SB), Z27
	VBROADCASTSS gluf_c5<>(SB), Z26
	VBROADCASTSS gluf_c4<>(SB), Z25
	VBROADCASTSS gluf_c3<>(SB), Z24
	VBROADCASTSS gluf_half<>(SB), Z23
	VBROADCASTSS gluf_one<>(SB), Z22

gluer512_row:
	MOVQ R11, R9
	LEAQ (R11)(DX*1), R10
	MOVQ SI, CX
gluer512_loop2:
	CMPQ CX, $32
	JLT gluer512_one
	VMOVUPS (R10), Z0
	VMOVUPS 64(R10), Z8
	GLU512(Z0, (R9), Z1, Z2, Z3, Z4, Z5)
	GLU512(Z8, 64(R9), Z9, Z10, Z11, Z12, Z13)
	VMOVUPS Z1, (R8)
	VMOVUPS Z9, 64(R8)
	ADDQ $128, R8
	ADDQ $128, R9
	ADDQ $128, R10
	SUBQ $32, CX
	JMP gluer512_loop2
gluer512_one:
	CMPQ CX, $16
	JLT gluer512_next
	VMOVUPS (R10), Z0
	GLU512(Z0, (R9), Z1, Z2, Z3, Z4, Z5)
	VMOVUPS Z1, (R8)
	ADDQ $64, R8
gluer512_next:
	LEAQ (R11)(DX*2), R11
	DECQ BX
	JNZ gluer512_row
	VZEROUPPER
	RET

// func gluRowsExpAVX2(a *gluRowsArgs)
// GLU2 over the rows of the GLURows layout (h a multiple of 8).
TEXT ·gluRowsExpAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ 0(DI), R8
	MOVQ 8(DI), R11
	MOVQ 16(DI), SI
	MOVQ 24(DI), BX
	LEAQ (SI*4), DX
	VBROADCASTSS gluf_sign<>(SB), Y8
	VBROADCASTSS gluf_cut<>(SB), Y9
	VBROADCASTSS gluf_log2e<>(SB), Y10
	VBROADCASTSS gluf_ln2<>(SB), Y11
	VBROADCASTSS gluf_ln2lo<>(SB), Y12
	VBROADCASTSS gluf_half<>(SB), Y13
	VBROADCASTSS gluf_one<>(SB), Y14
	VPBROADCASTD gluf_bias<>(SB), Y15

gluer2_row:
	MOVQ R11, R9
	LEAQ (R11)(DX*1), R10
	MOVQ SI, CX
gluer2_loop:
	CMPQ CX, $8
	JLT gluer2_next
	VMOVUPS (R10), Y4
	GLU2(Y4, (R9), Y5)
	VMOVUPS Y5, (R8)
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	SUBQ $8, CX
	JMP gluer2_loop
gluer2_next:
	LEAQ (R11)(DX*2), R11
	DECQ BX
	JNZ gluer2_row
	VZEROUPPER
	RET
