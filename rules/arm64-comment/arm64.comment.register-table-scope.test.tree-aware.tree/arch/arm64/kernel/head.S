	/*
	 * Registers that keep their value across the calls of the
	 * boot path below:
	 *
	 *  Register   Scope                      Purpose
	 *  x21        stext() .. start_kernel()  device tree address from the loader
	 *  x22        stext() .. __create_page_tables()  boot mode
	 *  x23        stext() .. start_kernel()  image offset from its link address
	 *  x28        __create_page_tables()     scratch kept across calls
	 *  x19/x20    __primary_switch()         scratch kept across calls
	 *  x24        __primary_switch()         displacement RELR has applied
	 */
ENTRY(stext)
	bl	preserve_boot_args
	bl	el2_setup
	adrp	x23, __PHYS_OFFSET
	and	x23, x23, MIN_KIMG_ALIGN - 1
	bl	__create_page_tables
	b	__primary_switch
ENDPROC(stext)

__clear_scratch:
	mov	x0, xzr
	mov	x1, xzr
	ret
ENDPROC(__clear_scratch)

__create_page_tables:
	mov	x28, lr
	adrp	x0, init_pg_dir
	adrp	x1, init_pg_end
	sub	x1, x1, x0
	bl	__inval_dcache_area
	ret	x28
ENDPROC(__create_page_tables)

	// filler 0
	nop
	// filler 1
	nop
	// filler 2
	nop
	// filler 3
	nop
	// filler 4
	nop
	// filler 5
	nop
	// filler 6
	nop
	// filler 7
	nop
	// filler 8
	nop
	// filler 9
	nop
	// filler 10
	nop
	// filler 11
	nop
#ifdef CONFIG_RELOCATABLE
__relocate_kernel:
	/*
	 * Iterate over each entry in the relocation table, and apply the
	 * relocations in place.
	 */
	ldr	w9, =__rela_offset
	ldr	w10, =__rela_size
	mov_q	x11, KIMAGE_VADDR
	add	x11, x11, x23
	add	x9, x9, x11
	add	x10, x9, x10
0:	cmp	x9, x10
	b.hs	1f
	ldp	x12, x13, [x9], #24
	ldr	x14, [x9, #-8]
	add	x14, x14, x23
	str	x14, [x12, x23]
	b	0b
1:	ret
ENDPROC(__relocate_kernel)
#endif

__primary_switch:
	mov	x19, x0
	mrs	x20, sctlr_el1
	adrp	x1, init_pg_dir
	bl	__enable_mmu
#ifdef CONFIG_RELOCATABLE
#ifdef CONFIG_RELR
	mov	x24, #0
#endif
	bl	__relocate_kernel
#endif
	ldr	x8, =__primary_switched
	adrp	x0, __PHYS_OFFSET
	br	x8
ENDPROC(__primary_switch)
