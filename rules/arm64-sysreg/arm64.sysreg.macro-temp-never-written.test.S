// reviewbot-test: path=arch/arm64/include/asm/kvm_asm.h
// Cases for arm64.sysreg.macro-temp-never-written, written for reviewbot.
.macro get_host_ctxt reg, tmp
	adr_l	\reg, kvm_host_cpu_state
	msr	\tmp, tpidr_el2
	// ruleid: arm64.sysreg.macro-temp-never-written
	add	\reg, \reg, \tmp
.endm

.macro get_host_ctxt_good reg, tmp
	adr_l	\reg, kvm_host_cpu_state
	mrs	\tmp, tpidr_el2
	// ok: arm64.sysreg.macro-temp-never-written
	add	\reg, \reg, \tmp
.endm

.macro set_vbar tmp
	adr_l	\tmp, __kvm_hyp_vector
	msr	vbar_el2, \tmp
	// ok: arm64.sysreg.macro-temp-never-written
	isb
.endm

.macro write_value val, tmp
	mov	\tmp, \val
	msr	\tmp, tpidr_el2
	// ok: arm64.sysreg.macro-temp-never-written
	add	x0, x0, \tmp
.endm
