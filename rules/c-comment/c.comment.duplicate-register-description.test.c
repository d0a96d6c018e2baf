// reviewbot-test: path=arch/arm64/include/asm/kvm_host.h
// Cases for c.comment.duplicate-register-description, written for reviewbot.
enum vcpu_sysreg {
	ESR_EL2,	/* Exception Syndrome Register (EL2) */
	FAR_EL2,	/* Hypervisor IPA Fault Address Register */
	// ruleid: c.comment.duplicate-register-description
	HPFAR_EL2,	/* Hypervisor IPA Fault Address Register */
	// ok: c.comment.duplicate-register-description
	MAIR_EL2,	/* Memory Attribute Indirection Register (EL2) */
	// ok: c.comment.duplicate-register-description
	AMAIR_EL2,	/* Auxiliary Memory Attribute Indirection Register (EL2) */
	// ok: c.comment.duplicate-register-description
	SCTLR_EL1,	/* System Control Register */
	// a short shared word is no description
	// ok: c.comment.duplicate-register-description
	TPIDR_EL1,	/* Unused */
	// ok: c.comment.duplicate-register-description
	TPIDR_EL0,	/* Unused */
	NR_SYS_REGS	/* Nothing after this line! */
};
