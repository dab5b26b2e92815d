//go:build !purego

#include "textflag.h"

// func spikeGemmAVX512(a *spikeGemmArgs)
//
// Per row: the non-zero x (k ≤ 64, a multiple of 16) become a bit mask (VCMPPS
// against zero, KMOVW); then per column pass (64 columns in Z0–Z3, then 16 in
// Z0) the accumulators start from the bias and add the weight row of every set
// bit, lowest first (TZCNT, BLSR): exactly spikeGemmGeneric's additions.
// Registers: DI args; R8 rows left; R9 y row; R10 x row; R11 column byte
// offset; R12 ncols·4; BX bias; R14 the row's mask; R13 bits left in a pass;
// R15 wt + column offset; AX, CX scratch; Z31 zero.
TEXT ·spikeGemmAVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ 32(DI), R8
	MOVQ 0(DI), R9
	MOVQ 8(DI), R10
	MOVQ 48(DI), R12
	SHLQ $2, R12
	MOVQ 24(DI), BX
	VXORPS Z31, Z31, Z31
sg_row:
	TESTQ R8, R8
	JZ sg_done
	MOVQ 40(DI), CX
	VCMPPS $4, 0(R10), Z31, K1 // x ≠ 0 (NEQ_UQ)
	KMOVW K1, R14
	CMPQ CX, $16
	JLE sg_masked
	VCMPPS $4, 64(R10), Z31, K1
	KMOVW K1, AX
	SHLQ $16, AX
	ORQ AX, R14
	CMPQ CX, $32
	JLE sg_masked
	VCMPPS $4, 128(R10), Z31, K1
	KMOVW K1, AX
	SHLQ $32, AX
	ORQ AX, R14
	CMPQ CX, $48
	JLE sg_masked
	VCMPPS $4, 192(R10), Z31, K1
	KMOVW K1, AX
	SHLQ $48, AX
	ORQ AX, R14
sg_masked:
	XORQ R11, R11
sg_wide:
	LEAQ 256(R11), AX
	CMPQ AX, R12
	JGT sg_narrow
	VMOVUPS 0(BX)(R11*1), Z0
	VMOVUPS 64(BX)(R11*1), Z1
	VMOVUPS 128(BX)(R11*1), Z2
	VMOVUPS 192(BX)(R11*1), Z3
	MOVQ 16(DI), R15
	ADDQ R11, R15
	MOVQ R14, R13
sg_wide_bits:
	TESTQ R13, R13
	JZ sg_wide_store
	TZCNTQ R13, AX
	BLSRQ R13, R13
	IMULQ 72(DI), AX
	ADDQ R15, AX
	VADDPS 0(AX), Z0, Z0
	VADDPS 64(AX), Z1, Z1
	VADDPS 128(AX), Z2, Z2
	VADDPS 192(AX), Z3, Z3
	JMP sg_wide_bits
sg_wide_store:
	VMOVUPS Z0, 0(R9)(R11*1)
	VMOVUPS Z1, 64(R9)(R11*1)
	VMOVUPS Z2, 128(R9)(R11*1)
	VMOVUPS Z3, 192(R9)(R11*1)
	ADDQ $256, R11
	JMP sg_wide
sg_narrow:
	CMPQ R11, R12
	JGE sg_next_row
	VMOVUPS 0(BX)(R11*1), Z0
	MOVQ 16(DI), R15
	ADDQ R11, R15
	MOVQ R14, R13
sg_narrow_bits:
	TESTQ R13, R13
	JZ sg_narrow_store
	TZCNTQ R13, AX
	BLSRQ R13, R13
	IMULQ 72(DI), AX
	ADDQ R15, AX
	VADDPS 0(AX), Z0, Z0
	JMP sg_narrow_bits
sg_narrow_store:
	VMOVUPS Z0, 0(R9)(R11*1)
	ADDQ $64, R11
	JMP sg_narrow
sg_next_row:
	ADDQ 56(DI), R9
	ADDQ 64(DI), R10
	DECQ R8
	JMP sg_row
sg_done:
	VZEROUPPER
	RET
