//go:build !purego

#include "textflag.h"

// func divChannelsImpl(out, in, d *float32, rows, c int)
// FDIV on four channels at a time, scalar FDIVS for the c mod 4 tail.
TEXT ·divChannelsImpl(SB), NOSPLIT, $0-40
	MOVD out+0(FP), R0
	MOVD in+8(FP), R1
	MOVD d+16(FP), R2
	MOVD rows+24(FP), R3
	MOVD c+32(FP), R4
	AND $-4, R4, R5 // channels in groups of four
row:
	CMP $0, R3
	BLE done
	MOVD $0, R6
	MOVD R1, R7
	MOVD R0, R8
	MOVD R2, R9
quad:
	CMP R5, R6
	BGE tail
	VLD1.P 16(R7), [V0.S4]
	VLD1.P 16(R9), [V1.S4]
	WORD $0x6e21fc00 // FDIV V0.4S, V0.4S, V1.4S
	VST1.P [V0.S4], 16(R8)
	ADD $4, R6, R6
	B quad
tail:
	CMP R4, R6
	BGE next
	FMOVS.P 4(R7), F0
	FMOVS.P 4(R9), F1
	FDIVS F1, F0, F0
	FMOVS.P F0, 4(R8)
	ADD $1, R6, R6
	B tail
next:
	ADD R4<<2, R1, R1
	ADD R4<<2, R0, R0
	SUB $1, R3, R3
	B row
done:
	RET
