//go:build !purego

// GELU kernels (AVX-512 and AVX2): per element exactly the float32
// operations of geluGeneric (kernels_gelu.go), no FMA, with the table
// entries fetched by gathers. n is a multiple of the register width.

#include "textflag.h"

DATA gelu_scale<>+0(SB)/4, $0x42800000 // 64
DATA gelu_magic<>+0(SB)/4, $0x4b400000 // 1.5·2²³
DATA gelu_bias<>+0(SB)/4, $0x4b3ffe80  // bits(1.5·2²³) − 384
DATA gelu_nodes<>+0(SB)/4, $769
DATA gelu_nodesx<>+0(SB)/4, $0x80000301 // 769 with the sign bit flipped
DATA gelu_sign<>+0(SB)/4, $0x80000000
GLOBL gelu_scale<>(SB), RODATA|NOPTR, $4
GLOBL gelu_magic<>(SB), RODATA|NOPTR, $4
GLOBL gelu_bias<>(SB), RODATA|NOPTR, $4
GLOBL gelu_nodes<>(SB), RODATA|NOPTR, $4
GLOBL gelu_nodesx<>(SB), RODATA|NOPTR, $4
GLOBL gelu_sign<>(SB), RODATA|NOPTR, $4

// func geluAVX512(a *geluArgs)
TEXT ·geluAVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ 0(DI), R8
	MOVQ 8(DI), R9
	MOVQ 16(DI), CX
	MOVQ 24(DI), R10
	VBROADCASTSS gelu_scale<>(SB), Z10
	VBROADCASTSS gelu_magic<>(SB), Z11
	VPBROADCASTD gelu_bias<>(SB), Z12
	VPBROADCASTD gelu_nodes<>(SB), Z13
	VPXORD Z15, Z15, Z15

gelu512_loop:
	CMPQ CX, $16
	JLT gelu512_done
	VMOVUPS (R9), Z0             // x
	VMULPS Z10, Z0, Z1           // t = x·64
	VADDPS Z11, Z1, Z2           // k = t + magic
	VPSUBD Z12, Z2, Z3           // i = bits(k) − bits(magic) + 384
	VPCMPUD $1, Z13, Z3, K1      // valid: i < 769 (unsigned)
	VPADDD Z3, Z3, Z4
	VPADDD Z3, Z4, Z4            // 3·i
	VMOVAPS Z15, Z5
	VMOVAPS Z15, Z6
	VMOVAPS Z15, Z7
	KMOVW K1, K2
	VGATHERDPS (R10)(Z4*4), K2, Z5  // e0
	KMOVW K1, K2
	VGATHERDPS 4(R10)(Z4*4), K2, Z6 // e1
	KMOVW K1, K2
	VGATHERDPS 8(R10)(Z4*4), K2, Z7 // e2
	VSUBPS Z11, Z2, Z8           // k − magic
	VSUBPS Z8, Z1, Z8            // d = t − (k − magic)
	VMULPS Z7, Z8, Z7            // d·e2
	VADDPS Z7, Z6, Z7            // e1 + d·e2
	VMULPS Z7, Z8, Z7            // d·(…)
	VADDPS Z7, Z5, Z7            // y = e0 + d·(…)
	VMULPS Z15, Z0, Z9           // x·0
	VCMPPS $0x1e, Z15, Z0, K3    // x > 0 (ordered)
	VMOVAPS Z0, K3, Z9           // x > 0 ? x : x·0
	VMOVAPS Z7, K1, Z9           // valid ? y : …
	VMOVUPS Z9, (R8)
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
	JMP gelu512_loop

gelu512_done:
	VZEROUPPER
	RET

// func geluAVX2(a *geluArgs)
TEXT ·geluAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ 0(DI), R8
	MOVQ 8(DI), R9
	MOVQ 16(DI), CX
	MOVQ 24(DI), R10
	VBROADCASTSS gelu_scale<>(SB), Y10
	VBROADCASTSS gelu_magic<>(SB), Y11
	VPBROADCASTD gelu_bias<>(SB), Y12
	VPBROADCASTD gelu_nodesx<>(SB), Y13
	VPBROADCASTD gelu_sign<>(SB), Y14
	VXORPS Y15, Y15, Y15

gelu2_loop:
	CMPQ CX, $8
	JLT gelu2_done
	VMOVUPS (R9), Y0             // x
	VMULPS Y10, Y0, Y1           // t = x·64
	VADDPS Y11, Y1, Y2           // k = t + magic
	VPSUBD Y12, Y2, Y3           // i = bits(k) − bits(magic) + 384
	VPXOR Y14, Y3, Y4
	VPCMPGTD Y4, Y13, Y9         // valid: i < 769 (unsigned, via the flipped sign)
	VPADDD Y3, Y3, Y4
	VPADDD Y3, Y4, Y4            // 3·i
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VMOVDQU Y9, Y8
	VGATHERDPS Y8, (R10)(Y4*4), Y5  // e0
	VMOVDQU Y9, Y8
	VGATHERDPS Y8, 4(R10)(Y4*4), Y6 // e1
	VMOVDQU Y9, Y8
	VGATHERDPS Y8, 8(R10)(Y4*4), Y7 // e2
	VSUBPS Y11, Y2, Y8           // k − magic
	VSUBPS Y8, Y1, Y8            // d = t − (k − magic)
	VMULPS Y7, Y8, Y7            // d·e2
	VADDPS Y7, Y6, Y7            // e1 + d·e2
	VMULPS Y7, Y8, Y7            // d·(…)
	VADDPS Y7, Y5, Y7            // y = e0 + d·(…)
	VMULPS Y15, Y0, Y5           // x·0
	VCMPPS $0x1e, Y15, Y0, Y6    // x > 0 (ordered)
	VBLENDVPS Y6, Y0, Y5, Y5     // x > 0 ? x : x·0
	VBLENDVPS Y9, Y7, Y5, Y5     // valid ? y : …
	VMOVUPS Y5, (R8)
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JMP gelu2_loop

gelu2_done:
	VZEROUPPER
	RET
