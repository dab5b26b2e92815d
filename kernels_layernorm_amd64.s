//go:build !purego

// LayerNorm kernel (AVX-512): per row exactly the float32 operations of
// layerNormGeneric (kernels_layernorm.go), no FMA; the c%16 trailing lanes
// are loaded as zeros (their d masked to zero), which leaves the sums
// unchanged.

#include "textflag.h"

DATA ln_one64<>+0(SB)/8, $1.0
GLOBL ln_one64<>(SB), RODATA|NOPTR, $8

// LNRED sums the 16 lanes of Z in the tree of lnReduce into lane 0 of X
// (Y, X are the same register as Z), using T as scratch.
#define LNRED(Z, Y, X, ZT, YT, XT) \
	VEXTRACTF64X4 $1, Z, YT \
	VADDPS YT, Y, Y \
	VEXTRACTF128 $1, Y, XT \
	VADDPS XT, X, X \
	VPERMILPS $0x4e, X, XT \
	VADDPS XT, X, X \
	VPERMILPS $0xb1, X, XT \
	VADDPS XT, X, X

// func layerNormAVX512(a *lnArgs)
TEXT ·layerNormAVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ 0(DI), R8         // out
	MOVQ 8(DI), R9         // in
	MOVQ 16(DI), R10       // gamma
	MOVQ 24(DI), R11       // beta
	MOVQ 32(DI), CX        // rows
	MOVQ 40(DI), DX        // c
	VMOVSD 48(DI), X14     // eps
	VMOVSS 56(DI), X13     // float32(c)
	MOVL 60(DI), AX
	KMOVW AX, K1           // tail lanes
	VMOVSD ln_one64<>(SB), X12
	MOVQ DX, R14
	SHRQ $4, R14           // full vectors per row
	SHLQ $2, DX            // row bytes

ln_row:
	// s: sum of the row, lanes j%16.
	VXORPS Z0, Z0, Z0
	XORQ R13, R13          // byte offset
	MOVQ R14, BX
ln_sum:
	TESTQ BX, BX
	JZ ln_sum_tail
	VADDPS (R9)(R13*1), Z0, Z0
	ADDQ $64, R13
	DECQ BX
	JMP ln_sum
ln_sum_tail:
	KORTESTW K1, K1
	JZ ln_sum_done
	VMOVUPS.Z (R9)(R13*1), K1, Z1
	VADDPS Z1, Z0, Z0
ln_sum_done:
	LNRED(Z0, Y0, X0, Z1, Y1, X1)
	VDIVSS X13, X0, X0     // mean
	VBROADCASTSS X0, Z2

	// q: sum of squared deviations.
	VXORPS Z3, Z3, Z3
	XORQ R13, R13
	MOVQ R14, BX
ln_var:
	TESTQ BX, BX
	JZ ln_var_tail
	VMOVUPS (R9)(R13*1), Z1
	VSUBPS Z2, Z1, Z1
	VMULPS Z1, Z1, Z1
	VADDPS Z1, Z3, Z3
	ADDQ $64, R13
	DECQ BX
	JMP ln_var
ln_var_tail:
	KORTESTW K1, K1
	JZ ln_var_done
	VMOVUPS.Z (R9)(R13*1), K1, Z1
	VSUBPS.Z Z2, Z1, K1, Z1
	VMULPS Z1, Z1, Z1
	VADDPS Z1, Z3, Z3
ln_var_done:
	LNRED(Z3, Y3, X3, Z1, Y1, X1)
	VDIVSS X13, X3, X3     // variance
	VCVTSS2SD X3, X3, X3
	VADDSD X14, X3, X3
	VSQRTSD X3, X3, X3
	VDIVSD X3, X12, X4     // 1/sqrt(v + eps)
	VCVTSD2SS X4, X4, X4
	VBROADCASTSS X4, Z4    // inv

	// out = ((x − mean)·inv)·gamma + beta.
	XORQ R13, R13
	MOVQ R14, BX
ln_out:
	TESTQ BX, BX
	JZ ln_out_tail
	VMOVUPS (R9)(R13*1), Z1
	VSUBPS Z2, Z1, Z1
	VMULPS Z4, Z1, Z1
	VMULPS (R10)(R13*1), Z1, Z1
	VADDPS (R11)(R13*1), Z1, Z1
	VMOVUPS Z1, (R8)(R13*1)
	ADDQ $64, R13
	DECQ BX
	JMP ln_out
ln_out_tail:
	KORTESTW K1, K1
	JZ ln_next
	VMOVUPS.Z (R9)(R13*1), K1, Z1
	VMOVUPS.Z (R10)(R13*1), K1, Z5
	VMOVUPS.Z (R11)(R13*1), K1, Z6
	VSUBPS Z2, Z1, Z1
	VMULPS Z4, Z1, Z1
	VMULPS Z5, Z1, Z1
	VADDPS Z6, Z1, Z1
	VMOVUPS Z1, K1, (R8)(R13*1)
ln_next:
	ADDQ DX, R8
	ADDQ DX, R9
	DECQ CX
	JNZ ln_row
	VZEROUPPER
	RET

// ln_masks: 16 all-ones lanes then 16 zero lanes; the 16 lanes from
// element 16 − t are the mask of the first t lanes.
DATA ln_masks<>+0(SB)/8, $-1
DATA ln_masks<>+8(SB)/8, $-1
DATA ln_masks<>+16(SB)/8, $-1
DATA ln_masks<>+24(SB)/8, $-1
DATA ln_masks<>+32(SB)/8, $-1
DATA ln_masks<>+40(SB)/8, $-1
DATA ln_masks<>+48(SB)/8, $-1
DATA ln_masks<>+56(SB)/8, $-1
DATA ln_masks<>+64(SB)/8, $0
DATA ln_masks<>+72(SB)/8, $0
DATA ln_masks<>+80(SB)/8, $0
DATA ln_masks<>+88(SB)/8, $0
DATA ln_masks<>+96(SB)/8, $0
DATA ln_masks<>+104(SB)/8, $0
DATA ln_masks<>+112(SB)/8, $0
DATA ln_masks<>+120(SB)/8, $0
GLOBL ln_masks<>(SB), RODATA|NOPTR, $128

// LNRED2 sums the 16 lanes held as lanes 0–7 in YL and 8–15 in YH in the
// tree of lnReduce into lane 0 of XL.
#define LNRED2(YL, XL, YH, XT) \
	VADDPS YH, YL, YL \
	VEXTRACTF128 $1, YL, XT \
	VADDPS XT, XL, XL \
	VPERMILPS $0x4e, XL, XT \
	VADDPS XT, XL, XL \
	VPERMILPS $0xb1, XL, XT \
	VADDPS XT, XL, XL

// func layerNormAVX2(a *lnArgs)
// As layerNormAVX512 with each 16-lane vector held in two 8-lane registers
// (lanes 0–7, 8–15); the tail is loaded and stored with VMASKMOVPS.
TEXT ·layerNormAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ 0(DI), R8         // out
	MOVQ 8(DI), R9         // in
	MOVQ 16(DI), R10       // gamma
	MOVQ 24(DI), R11       // beta
	MOVQ 32(DI), CX        // rows
	MOVQ 40(DI), DX        // c
	VMOVSD 48(DI), X14     // eps
	VMOVSS 56(DI), X13     // float32(c)
	VMOVSD ln_one64<>(SB), X12
	MOVQ DX, R14
	SHRQ $4, R14           // full 16-lane vectors per row
	MOVQ DX, R12
	ANDQ $15, R12          // tail lanes t
	LEAQ ln_masks<>(SB), AX
	MOVQ $16, BX
	SUBQ R12, BX
	VMOVDQU (AX)(BX*4), Y8   // tail mask, lanes 0–7
	VMOVDQU 32(AX)(BX*4), Y9 // lanes 8–15
	SHLQ $2, DX            // row bytes

ln2_row:
	VXORPS Y0, Y0, Y0
	VXORPS Y7, Y7, Y7
	XORQ R13, R13
	MOVQ R14, BX
ln2_sum:
	TESTQ BX, BX
	JZ ln2_sum_tail
	VADDPS (R9)(R13*1), Y0, Y0
	VADDPS 32(R9)(R13*1), Y7, Y7
	ADDQ $64, R13
	DECQ BX
	JMP ln2_sum
ln2_sum_tail:
	TESTQ R12, R12
	JZ ln2_sum_done
	VMASKMOVPS (R9)(R13*1), Y8, Y1
	VMASKMOVPS 32(R9)(R13*1), Y9, Y6
	VADDPS Y1, Y0, Y0
	VADDPS Y6, Y7, Y7
ln2_sum_done:
	LNRED2(Y0, X0, Y7, X1)
	VDIVSS X13, X0, X0     // mean
	VBROADCASTSS X0, Y2

	VXORPS Y3, Y3, Y3
	VXORPS Y7, Y7, Y7
	XORQ R13, R13
	MOVQ R14, BX
ln2_var:
	TESTQ BX, BX
	JZ ln2_var_tail
	VMOVUPS (R9)(R13*1), Y1
	VMOVUPS 32(R9)(R13*1), Y6
	VSUBPS Y2, Y1, Y1
	VSUBPS Y2, Y6, Y6
	VMULPS Y1, Y1, Y1
	VMULPS Y6, Y6, Y6
	VADDPS Y1, Y3, Y3
	VADDPS Y6, Y7, Y7
	ADDQ $64, R13
	DECQ BX
	JMP ln2_var
ln2_var_tail:
	TESTQ R12, R12
	JZ ln2_var_done
	VMASKMOVPS (R9)(R13*1), Y8, Y1
	VMASKMOVPS 32(R9)(R13*1), Y9, Y6
	VSUBPS Y2, Y1, Y1
	VSUBPS Y2, Y6, Y6
	VANDPS Y8, Y1, Y1
	VANDPS Y9, Y6, Y6
	VMULPS Y1, Y1, Y1
	VMULPS Y6, Y6, Y6
	VADDPS Y1, Y3, Y3
	VADDPS Y6, Y7, Y7
ln2_var_done:
	LNRED2(Y3, X3, Y7, X1)
	VDIVSS X13, X3, X3     // variance
	VCVTSS2SD X3, X3, X3
	VADDSD X14, X3, X3
	VSQRTSD X3, X3, X3
	VDIVSD X3, X12, X4
	VCVTSD2SS X4, X4, X4
	VBROADCASTSS X4, Y4    // inv

	XORQ R13, R13
	MOVQ R14, BX
ln2_out:
	TESTQ BX, BX
	JZ ln2_out_tail
	VMOVUPS (R9)(R13*1), Y1
	VMOVUPS 32(R9)(R13*1), Y6
	VSUBPS Y2, Y1, Y1
	VSUBPS Y2, Y6, Y6
	VMULPS Y4, Y1, Y1
	VMULPS Y4, Y6, Y6
	VMULPS (R10)(R13*1), Y1, Y1
	VMULPS 32(R10)(R13*1), Y6, Y6
	VADDPS (R11)(R13*1), Y1, Y1
	VADDPS 32(R11)(R13*1), Y6, Y6
	VMOVUPS Y1, (R8)(R13*1)
	VMOVUPS Y6, 32(R8)(R13*1)
	ADDQ $64, R13
	DECQ BX
	JMP ln2_out
ln2_out_tail:
	TESTQ R12, R12
	JZ ln2_next
	VMASKMOVPS (R9)(R13*1), Y8, Y1
	VMASKMOVPS 32(R9)(R13*1), Y9, Y6
	VMASKMOVPS (R10)(R13*1), Y8, Y5
	VMASKMOVPS 32(R10)(R13*1), Y9, Y10
	VMASKMOVPS (R11)(R13*1), Y8, Y11
	VMASKMOVPS 32(R11)(R13*1), Y9, Y15
	VSUBPS Y2, Y1, Y1
	VSUBPS Y2, Y6, Y6
	VMULPS Y4, Y1, Y1
	VMULPS Y4, Y6, Y6
	VMULPS Y5, Y1, Y1
	VMULPS Y10, Y6, Y6
	VADDPS Y11, Y1, Y1
	VADDPS Y15, Y6, Y6
	VMASKMOVPS Y1, Y8, (R8)(R13*1)
	VMASKMOVPS Y6, Y9, 32(R8)(R13*1)
ln2_next:
	ADDQ DX, R8
	ADDQ DX, R9
	DECQ CX
	JNZ ln2_row
	VZEROUPPER
	RET
