// reviewbot-test: path=arch/arm64/kernel/early_putc.S
// Cases for arm64.comment.stale, written for reviewbot: what a comment quotes
// or names that is not a claim about the code below it.
// Character constants in a comment name values, which the code may write as numbers.
putc_crlf:
	// ok: arm64.comment.stale
	/* Prepend '\r' to '\n' */
	cmp	w0, #0xA
	b.ne	1f
	mov	w2, #0xD
	str	w2, [x1]
1:	ret

// A quoted macro argument is code: a backslash there is not an escape.
.macro load_base reg
	// ruleid: arm64.comment.stale
	/* the caller sets it up with 'ldr \reg, =base' */
	mov	x0, xzr
.endm

// Pseudo-code in quotes says what the code does, in another language.
relocate_stack:
	// ok: arm64.comment.stale
	/*
	 * Perform 'sp = (x0 != NULL) ? x0 : sp' with a register in between:
	 * csel cannot name sp.
	 */
	mov	x1, sp
	cmp	x0, #0
	csel	x0, x0, x1, ne
	mov	sp, x0
	ret

// A parenthetical aside contrasts the code with another instruction.
	// ok: arm64.comment.stale
	/*
	 * The address of <sym> in <reg>, within 4GB of the PC
	 * (note that 'adr reg, sym' reaches 1MB only).
	 */
	.macro	far_adr, reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
	.endm

// The comment says the code has no literal pool.
pen_start:
	// ok: arm64.comment.stale
	/* Position-independent: PC-relative loads only, no literal pool. */
	adr	x1, pen_target
	ldr	x1, [x1]
	br	x1

// The same claim made for the code is still checked.
pen_pool:
	// ruleid: arm64.comment.stale
	/* The target address comes from the literal pool. */
	adr	x1, pen_target
	ldr	x1, [x1]
	br	x1
