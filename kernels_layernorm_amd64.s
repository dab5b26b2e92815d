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

// ln_iota: 0, 1, …, 15 (lane r holds row r's mean and scale).
DATA ln_iota<>+0(SB)/4, $0
DATA ln_iota<>+4(SB)/4, $1
DATA ln_iota<>+8(SB)/4, $2
DATA ln_iota<>+12(SB)/4, $3
DATA ln_iota<>+16(SB)/4, $4
DATA ln_iota<>+20(SB)/4, $5
DATA ln_iota<>+24(SB)/4, $6
DATA ln_iota<>+28(SB)/4, $7
DATA ln_iota<>+32(SB)/4, $8
DATA ln_iota<>+36(SB)/4, $9
DATA ln_iota<>+40(SB)/4, $10
DATA ln_iota<>+44(SB)/4, $11
DATA ln_iota<>+48(SB)/4, $12
DATA ln_iota<>+52(SB)/4, $13
DATA ln_iota<>+56(SB)/4, $14
DATA ln_iota<>+60(SB)/4, $15
GLOBL ln_iota<>(SB), RODATA|NOPTR, $64

// LNT reduces the 16 lane-sum vectors Z0–Z15 in the tree of lnReduce, all at
// once: each stage pairs two registers, brings the halves to be added into
// two registers with two shuffles, and adds them. Stage 1 (l + 8,
// VSHUFF32X4 0x44/0xee) leaves two sums per register, stage 2 (l + 4,
// 0x88/0xdd) four, stage 3 (l + 2, VSHUFPS 0x44/0xee) eight and stage 4
// (0 + 1, VSHUFPS 0x88/0xdd) all 16 in Z0: the sum of Z(4k + q) in lane
// 4q + k. Rows are loaded so that row r is in Z(4·(r%4) + r/4), which puts
// row r's sum in lane r. Scratch: Z16–Z23.
#define LNT1(A, B, D, T) \
	VSHUFF32X4 $0x44, B, A, T \
	VSHUFF32X4 $0xee, B, A, B \
	VADDPS B, T, D
#define LNT2(A, B, D, T) \
	VSHUFF32X4 $0x88, B, A, T \
	VSHUFF32X4 $0xdd, B, A, B \
	VADDPS B, T, D
#define LNT3(A, B, D, T) \
	VSHUFPS $0x44, B, A, T \
	VSHUFPS $0xee, B, A, B \
	VADDPS B, T, D
#define LNT4(A, B, D, T) \
	VSHUFPS $0x88, B, A, T \
	VSHUFPS $0xdd, B, A, B \
	VADDPS B, T, D
#define LNT \
	LNT1(Z0, Z1, Z0, Z16) \
	LNT1(Z2, Z3, Z1, Z17) \
	LNT1(Z4, Z5, Z2, Z18) \
	LNT1(Z6, Z7, Z3, Z19) \
	LNT1(Z8, Z9, Z4, Z20) \
	LNT1(Z10, Z11, Z5, Z21) \
	LNT1(Z12, Z13, Z6, Z22) \
	LNT1(Z14, Z15, Z7, Z23) \
	LNT2(Z0, Z1, Z0, Z16) \
	LNT2(Z2, Z3, Z1, Z17) \
	LNT2(Z4, Z5, Z2, Z18) \
	LNT2(Z6, Z7, Z3, Z19) \
	LNT3(Z0, Z1, Z0, Z16) \
	LNT3(Z2, Z3, Z1, Z17) \
	LNT4(Z0, Z1, Z0, Z16)

// LNROWS applies OP(register, column k, column k+1, scratch, scratch, 4·r)
// to the 16 rows r of the block (R8–R11: rows 0, 4, 8, 12 at column k; DX
// the row stride, R12 three strides).
#define LNROWS(OP) \
	OP(Z0, (R8), 64(R8), Z16, Z17, 0) \
	OP(Z4, (R8)(DX*1), 64(R8)(DX*1), Z18, Z19, 4) \
	OP(Z8, (R8)(DX*2), 64(R8)(DX*2), Z20, Z21, 8) \
	OP(Z12, (R8)(R12*1), 64(R8)(R12*1), Z22, Z23, 12) \
	OP(Z1, (R9), 64(R9), Z16, Z17, 16) \
	OP(Z5, (R9)(DX*1), 64(R9)(DX*1), Z18, Z19, 20) \
	OP(Z9, (R9)(DX*2), 64(R9)(DX*2), Z20, Z21, 24) \
	OP(Z13, (R9)(R12*1), 64(R9)(R12*1), Z22, Z23, 28) \
	OP(Z2, (R10), 64(R10), Z16, Z17, 32) \
	OP(Z6, (R10)(DX*1), 64(R10)(DX*1), Z18, Z19, 36) \
	OP(Z10, (R10)(DX*2), 64(R10)(DX*2), Z20, Z21, 40) \
	OP(Z14, (R10)(R12*1), 64(R10)(R12*1), Z22, Z23, 44) \
	OP(Z3, (R11), 64(R11), Z16, Z17, 48) \
	OP(Z7, (R11)(DX*1), 64(R11)(DX*1), Z18, Z19, 52) \
	OP(Z11, (R11)(DX*2), 64(R11)(DX*2), Z20, Z21, 56) \
	OP(Z15, (R11)(R12*1), 64(R11)(R12*1), Z22, Z23, 60)

// Per-row operations of the two reduction passes: pass 1 sums columns
// (LNLOAD the first, LNADD the others); pass 2 sums (x − mean)², the mean
// being lane r of Z29 broadcast by VPERMPS (AX = &ln_iota), two columns at a
// time (LNSQ2x; LNSQ1x for an odd last one; …0 starts the sums).
#define LNLOAD(Z, A0, A1, T, U, L) VMOVUPS A0, Z
#define LNADD(Z, A0, A1, T, U, L) VADDPS A0, Z, Z
#define LNSQ20(Z, A0, A1, T, U, L) \
	VPBROADCASTD L(AX), T \
	VPERMPS Z29, T, T \
	VMOVUPS A0, U \
	VSUBPS T, U, U \
	VMULPS U, U, Z \
	VMOVUPS A1, U \
	VSUBPS T, U, U \
	VMULPS U, U, U \
	VADDPS U, Z, Z
#define LNSQ2(Z, A0, A1, T, U, L) \
	VPBROADCASTD L(AX), T \
	VPERMPS Z29, T, T \
	VMOVUPS A0, U \
	VSUBPS T, U, U \
	VMULPS U, U, U \
	VADDPS U, Z, Z \
	VMOVUPS A1, U \
	VSUBPS T, U, U \
	VMULPS U, U, U \
	VADDPS U, Z, Z
#define LNSQ10(Z, A0, A1, T, U, L) \
	VPBROADCASTD L(AX), T \
	VPERMPS Z29, T, T \
	VMOVUPS A0, U \
	VSUBPS T, U, U \
	VMULPS U, U, Z
#define LNSQ1(Z, A0, A1, T, U, L) \
	VPBROADCASTD L(AX), T \
	VPERMPS Z29, T, T \
	VMOVUPS A0, U \
	VSUBPS T, U, U \
	VMULPS U, U, U \
	VADDPS U, Z, Z

// LNBASE points R8–R11 at rows 0, 4, 8, 12 of the block at B and R12 at
// three row strides.
#define LNBASE(B) \
	LEAQ (DX)(DX*2), R12 \
	MOVQ B, R8 \
	LEAQ (B)(DX*4), R9 \
	LEAQ (R9)(DX*4), R10 \
	LEAQ (R10)(DX*4), R11

// LNNEXT moves R8–R11 on by N bytes (columns).
#define LNNEXT(N) \
	ADDQ N, R8 \
	ADDQ N, R9 \
	ADDQ N, R10 \
	ADDQ N, R11

// LNPASS1 computes the means of the block at B into D (lane r: row r).
// The lane sums start from the first column instead of +0, which can only
// turn an all −0 sum into −0: adding +0 to the reduced sums gives generic's
// bits back.
#define LNPASS1(B, D, LOOP, DONE, DIVC) \
	LNBASE(B) \
	LNROWS(LNLOAD) \
	MOVQ $1, CX \
LOOP: \
	CMPQ CX, R13 \
	JGE DONE \
	LNNEXT($64) \
	LNROWS(LNADD) \
	INCQ CX \
	JMP LOOP \
DONE: \
	LNT \
	VADDPS Z24, Z0, Z0 \
	DIVC Z25, Z0, D

// LNPASS2 computes the scales float32(1/sqrt(float64(q/c) + eps)) of the
// block at SI (means in Z29) into Z28.
#define LNPASS2(ONE, LOOP, ODD, DONE, DIVC) \
	LEAQ ln_iota<>(SB), AX \
	LNBASE(SI) \
	CMPQ R13, $1 \
	JNE ONE \
	LNROWS(LNSQ10) \
	JMP DONE \
ONE: \
	LNROWS(LNSQ20) \
	MOVQ $2, CX \
LOOP: \
	LEAQ 2(CX), DI \
	CMPQ DI, R13 \
	JGT ODD \
	MOVQ CX, DI \
	SHLQ $6, DI \
	LNBASE(SI) \
	LNNEXT(DI) \
	LNROWS(LNSQ2) \
	ADDQ $2, CX \
	JMP LOOP \
ODD: \
	CMPQ CX, R13 \
	JGE DONE \
	MOVQ CX, DI \
	SHLQ $6, DI \
	LNBASE(SI) \
	LNNEXT(DI) \
	LNROWS(LNSQ1) \
DONE: \
	LNT \
	DIVC Z25, Z0, Z0 \
	VEXTRACTF64X4 $1, Z0, Y2 \
	VCVTPS2PD Y0, Z1 \
	VCVTPS2PD Y2, Z2 \
	MOVQ a+0(FP), DI \
	VBROADCASTSD 48(DI), Z3 \
	VADDPD Z3, Z1, Z1 \
	VADDPD Z3, Z2, Z2 \
	VSQRTPD Z1, Z1 \
	VSQRTPD Z2, Z2 \
	VDIVPD Z1, Z26, Z1 \
	VDIVPD Z2, Z26, Z2 \
	VCVTPD2PS Z1, Y1 \
	VCVTPD2PS Z2, Y2 \
	VINSERTF64X4 $1, Y2, Z1, Z28

// LNPASS3 writes out = ((x − mean)·inv)·gamma + beta for the block before
// SI (into the block before R15), means in Z31 and scales in Z30, row by row.
#define LNPASS3(ROW, COL) \
	MOVQ SI, AX \
	SUBQ BX, AX \
	MOVQ R15, R12 \
	SUBQ BX, R12 \
	MOVQ a+0(FP), DI \
	MOVQ 16(DI), R9 \
	MOVQ 24(DI), R10 \
	LEAQ ln_iota<>(SB), DI \
	XORQ CX, CX \
ROW: \
	VPBROADCASTD (DI)(CX*4), Z18 \
	VPERMPS Z31, Z18, Z16 \
	VPERMPS Z30, Z18, Z17 \
	XORQ R8, R8 \
	MOVQ R13, R11 \
COL: \
	VMOVUPS (AX)(R8*1), Z19 \
	VSUBPS Z16, Z19, Z19 \
	VMULPS Z17, Z19, Z19 \
	VMULPS (R9)(R8*1), Z19, Z19 \
	VADDPS (R10)(R8*1), Z19, Z19 \
	VMOVUPS Z19, (R12)(R8*1) \
	ADDQ $64, R8 \
	DECQ R11 \
	JNZ COL \
	ADDQ DX, AX \
	ADDQ DX, R12 \
	INCQ CX \
	CMPQ CX, $16 \
	JLT ROW

// LNOUT2 writes one row of LNPASS3W: L = 4·row (its lane), I0/I1 the input
// columns, O0/O1 the output columns, T0–T3 scratch.
#define LNOUT2(L, I0, I1, O0, O1, T0, T1, T2, T3) \
	VPBROADCASTD L(DI), T0 \
	VPERMPS Z31, T0, T1 \
	VPERMPS Z30, T0, T0 \
	VMOVUPS I0, T2 \
	VMOVUPS I1, T3 \
	VSUBPS T1, T2, T2 \
	VSUBPS T1, T3, T3 \
	VMULPS T0, T2, T2 \
	VMULPS T0, T3, T3 \
	VMULPS Z12, T2, T2 \
	VMULPS Z13, T3, T3 \
	VADDPS Z14, T2, T2 \
	VADDPS Z15, T3, T3 \
	VMOVUPS T2, O0 \
	VMOVUPS T3, O1

// LNOUT8 writes 8 rows from R8 (in, rows 0–3), R9 (in, rows 4–7), R10 and
// R11 (out), lanes from L.
#define LNOUT8(L0, L1, L2, L3, L4, L5, L6, L7) \
	LNOUT2(L0, (R8), 64(R8), (R10), 64(R10), Z0, Z1, Z2, Z3) \
	LNOUT2(L1, (R8)(DX*1), 64(R8)(DX*1), (R10)(DX*1), 64(R10)(DX*1), Z4, Z5, Z6, Z7) \
	LNOUT2(L2, (R8)(DX*2), 64(R8)(DX*2), (R10)(DX*2), 64(R10)(DX*2), Z8, Z9, Z10, Z11) \
	LNOUT2(L3, (R8)(R12*1), 64(R8)(R12*1), (R10)(R12*1), 64(R10)(R12*1), Z16, Z17, Z18, Z19) \
	LNOUT2(L4, (R9), 64(R9), (R11), 64(R11), Z20, Z21, Z22, Z23) \
	LNOUT2(L5, (R9)(DX*1), 64(R9)(DX*1), (R11)(DX*1), 64(R11)(DX*1), Z0, Z1, Z2, Z3) \
	LNOUT2(L6, (R9)(DX*2), 64(R9)(DX*2), (R11)(DX*2), 64(R11)(DX*2), Z4, Z5, Z6, Z7) \
	LNOUT2(L7, (R9)(R12*1), 64(R9)(R12*1), (R11)(R12*1), 64(R11)(R12*1), Z8, Z9, Z10, Z11)

// LNPASS3W is LNPASS3 for c = 32, unrolled, with gamma and beta in Z12–Z15.
#define LNPASS3W \
	MOVQ a+0(FP), DI \
	MOVQ 16(DI), R8 \
	VMOVUPS (R8), Z12 \
	VMOVUPS 64(R8), Z13 \
	MOVQ 24(DI), R8 \
	VMOVUPS (R8), Z14 \
	VMOVUPS 64(R8), Z15 \
	LEAQ ln_iota<>(SB), DI \
	LEAQ (DX)(DX*2), R12 \
	MOVQ SI, R8 \
	SUBQ BX, R8 \
	LEAQ (R8)(DX*4), R9 \
	MOVQ R15, R10 \
	SUBQ BX, R10 \
	LEAQ (R10)(DX*4), R11 \
	LNOUT8(0, 4, 8, 12, 16, 20, 24, 28) \
	LEAQ (R8)(DX*8), R8 \
	LEAQ (R9)(DX*8), R9 \
	LEAQ (R10)(DX*8), R10 \
	LEAQ (R11)(DX*8), R11 \
	LNOUT8(32, 36, 40, 44, 48, 52, 56, 60)

#define LN16FN(DIVC, RECIP) \
	MOVQ a+0(FP), DI \
	MOVQ 0(DI), R15 \
	MOVQ 8(DI), SI \
	MOVQ 32(DI), R14 \
	SHRQ $4, R14 \
	MOVQ 40(DI), DX \
	MOVQ DX, R13 \
	SHRQ $4, R13 \
	SHLQ $2, DX \
	MOVQ DX, BX \
	SHLQ $4, BX \
	VPXORD Z24, Z24, Z24 \
	VBROADCASTSS 56(DI), Z25 \
	RECIP \
	VBROADCASTSD ln_one64<>(SB), Z26 \
	LNPASS1(SI, Z29, ln16_p1a, ln16_p1a_done, DIVC) \
	LNPASS2(ln16_p2a_one, ln16_p2a_loop, ln16_p2a_odd, ln16_p2a_done, DIVC) \
	DECQ R14 \
	JZ ln16_last \
	LEAQ (SI)(BX*1), AX \
	LNPASS1(AX, Z27, ln16_p1b, ln16_p1b_done, DIVC) \
	JMP ln16_next \
ln16_block: \
	LNPASS2(ln16_p2_one, ln16_p2_loop, ln16_p2_odd, ln16_p2_done, DIVC) \
	DECQ R14 \
	JZ ln16_last \
	LEAQ (SI)(BX*1), AX \
	LNPASS1(AX, Z27, ln16_p1c, ln16_p1c_done, DIVC) \
	CMPQ R13, $2 \
	JNE ln16_p3_any \
	LNPASS3W \
	JMP ln16_next \
ln16_p3_any: \
	LNPASS3(ln16_p3_row, ln16_p3_col) \
ln16_next: \
	VMOVAPS Z29, Z31 \
	VMOVAPS Z28, Z30 \
	VMOVAPS Z27, Z29 \
	ADDQ BX, SI \
	ADDQ BX, R15 \
	JMP ln16_block \
ln16_last: \
	CMPQ 32(DI), $16 \
	JEQ ln16_one \
	LNPASS3(ln16_p3l_row, ln16_p3l_col) \
ln16_one: \
	VMOVAPS Z29, Z31 \
	VMOVAPS Z28, Z30 \
	ADDQ BX, SI \
	ADDQ BX, R15 \
	LNPASS3(ln16_p3m_row, ln16_p3m_col) \
	VZEROUPPER \
	RET

// func layerNorm16AVX512(a *lnArgs)
// LayerNorm of blocks of 16 rows for c a multiple of 16 (a.rows a multiple
// of 16, a.tail 0): per row exactly the float32 operations of
// layerNormGeneric, the 16 rows' reductions done together (LNT). The three
// passes are software-pipelined: iteration b computes the scales of block b
// (means from the previous iteration), the means of block b + 1 and the
// outputs of block b − 1 (scales from the previous iteration), so that the
// long dependency chain of a block (sums, mean, squares, scale) overlaps with
// the work of the neighbouring blocks. At the top of iteration b: Z29 means
// of b, Z31 means of b − 1, Z30 scales of b − 1.
TEXT ·layerNorm16AVX512(SB), NOSPLIT, $0-8
	LN16FN(VDIVPS, NOP)

DATA ln_one32<>+0(SB)/4, $0x3f800000
GLOBL ln_one32<>(SB), RODATA|NOPTR, $4

#define LNRECIP \
	VBROADCASTSS ln_one32<>(SB), Z0 \
	VDIVPS Z25, Z0, Z25

// func layerNorm16p2AVX512(a *lnArgs)
// layerNorm16AVX512 for c a power of two: x/c = x·(1/c) exactly (1/c is
// exact and the product is the same single rounding of the exact quotient),
// so the means and variances are those of VDIVPS, with the divider free for
// the float64 square roots and divisions.
TEXT ·layerNorm16p2AVX512(SB), NOSPLIT, $0-8
	LN16FN(VMULPS, LNRECIP)
