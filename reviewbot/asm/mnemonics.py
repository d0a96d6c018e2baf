"""A64 instruction mnemonics (base, FP/SIMD, crypto, SVE, SME, system), for
telling an instruction from a gas macro invocation: a statement that does not
parse as an instruction is read with gas's looser macro-call syntax
(``entry hyp=1``, ``func name _align=3``) only when its mnemonic is not one of
these."""

from __future__ import annotations

_BASE = """
adc adcs add addg adds addpt adr adrp and ands asr asrv autda autdb autdza autdzb autia autia1716
autiasp autiaz autib autib1716 autibsp autibz autiza autizb axflag b bc bfc bfi bfm bfxil bic bics
bl blr blraa blraaz blrab blrabz br braa braaz brab brabz brb brk bti cas casa casal casl casb casab
casalb caslb cash casah casalh caslh casp caspa caspal caspl cbnz cbz ccmn ccmp cfinv cfp chkfeat
cinc cinv clrbhb clrex cls clz cmn cmp cmpp cneg cpp crc32b crc32h crc32w crc32x crc32cb crc32ch
crc32cw crc32cx csdb csel cset csetm csinc csinv csneg ctz cnt abs smax smin umax umin dc dcps1 dcps2
dcps3 dgh dmb drps dsb dvp eon eor eret eretaa eretab esb extr gcsb gcspopcx gcspopm gcspopx
gcspushm gcspushx gcsss1 gcsss2 gcsstr gcssttr gmi hint hlt hvc ic irg isb ld64b ldadd ldadda
ldaddal ldaddl ldaddb ldaddab ldaddalb ldaddlb ldaddh ldaddah ldaddalh ldaddlh ldapr ldaprb ldaprh
ldapur ldapurb ldapurh ldapursb ldapursh ldapursw ldar ldarb ldarh ldaxp ldaxr ldaxrb ldaxrh ldclr
ldclra ldclral ldclrl ldclrb ldclrab ldclralb ldclrlb ldclrh ldclrah ldclralh ldclrlh ldeor ldeora
ldeoral ldeorl ldeorb ldeorab ldeoralb ldeorlb ldeorh ldeorah ldeoralh ldeorlh ldg ldgm ldlar
ldlarb ldlarh ldnp ldp ldpsw ldr ldraa ldrab ldrb ldrh ldrsb ldrsh ldrsw ldset ldseta ldsetal
ldsetl ldsetb ldsetab ldsetalb ldsetlb ldseth ldsetah ldsetalh ldsetlh ldsmax ldsmaxa ldsmaxal
ldsmaxl ldsmin ldsmina ldsminal ldsminl ldtr ldtrb ldtrh ldtrsb ldtrsh ldtrsw ldumax ldumaxa
ldumaxal ldumaxl ldumin ldumina lduminal lduminl ldur ldurb ldurh ldursb ldursh ldursw ldxp ldxr
ldxrb ldxrh lsl lslv lsr lsrv madd mneg mov movk movn movz mrs mrrs msr msrr msub mul mvn neg negs
ngc ngcs nop orn orr pacda pacdb pacdza pacdzb pacga pacia pacia1716 paciasp paciaz pacib
pacib1716 pacibsp pacibz paciza pacizb prfm prfum psb pssbb rbit rcwcas rcwclr rcwset rcwswp ret
retaa retab rev rev16 rev32 rev64 rmif ror rorv sb sbc sbcs sbfiz sbfm sbfx sdiv setf8 setf16 sev
sevl smaddl smc smnegl smstart smstop smsubl smulh smull ssbb st2g st64b st64bv st64bv0 stadd
staddl staddb staddlb staddh staddlh stclr stclrl stclrb stclrlb stclrh stclrlh steor steorl
steorb steorlb steorh steorlh stg stgm stgp stllr stllrb stllrh stlr stlrb stlrh stlur stlurb
stlurh stlxp stlxr stlxrb stlxrh stnp stp str strb strh stset stsetl stsetb stsetlb stseth
stsetlh stsmax stsmaxl stsmin stsminl sttr sttrb sttrh stumax stumaxl stumin stuminl stur sturb
sturh stxp stxr stxrb stxrh stz2g stzg stzgm sub subg subp subps subs svc swp swpa swpal swpl swpb
swpab swpalb swplb swph swpah swpalh swplh sxtb sxth sxtw sys sysl sysp tbnz tbz tcancel tcommit
tlbi tlbip tsb tst tstart ttest ubfiz ubfm ubfx udf udiv umaddl umnegl umsubl umulh umull uxtb
uxth wfe wfet wfi wfit xaflag xpacd xpaci xpaclri yield at cosp cpyfp cpyfm cpyfe cpyp cpym cpye
setp setm sete setgp setgm setge ldaxp stlxp ldiapp stilp ldapp
"""

_FP_SIMD = """
abs add addhn addhn2 addp addv aesd aese aesimc aesmc and bcax bfcvt bfcvtn bfcvtn2 bfdot bfmlalb
bfmlalt bfmmla bic bif bit bsl cls clz cmeq cmge cmgt cmhi cmhs cmle cmlt cmtst cnt dup eor eor3
ext fabd fabs facge facgt fadd faddp fcadd fccmp fccmpe fcmeq fcmge fcmgt fcmla fcmle fcmlt fcmp
fcmpe fcsel fcvt fcvtas fcvtau fcvtl fcvtl2 fcvtms fcvtmu fcvtn fcvtn2 fcvtns fcvtnu fcvtps fcvtpu
fcvtxn fcvtxn2 fcvtzs fcvtzu fdiv fjcvtzs fmadd fmax fmaxnm fmaxnmp fmaxnmv fmaxp fmaxv fmin
fminnm fminnmp fminnmv fminp fminv fmla fmlal fmlal2 fmls fmlsl fmlsl2 fmov fmsub fmul fmulx fneg
fnmadd fnmsub fnmul frecpe frecps frecpx frint32x frint32z frint64x frint64z frinta frinti frintm
frintn frintp frintx frintz frsqrte frsqrts fsqrt fsub ins ld1 ld1r ld2 ld2r ld3 ld3r ld4 ld4r
mla mls movi mul mvni neg not orn orr pmul pmull pmull2 raddhn raddhn2 rax1 rbit rev16 rev32 rev64
rshrn rshrn2 rsubhn rsubhn2 saba sabal sabal2 sabd sabdl sabdl2 sadalp saddl saddl2 saddlp saddlv
saddw saddw2 scvtf sdot sha1c sha1h sha1m sha1p sha1su0 sha1su1 sha256h sha256h2 sha256su0
sha256su1 sha512h sha512h2 sha512su0 sha512su1 shadd shl shll shll2 shrn shrn2 shsub sli sm3partw1
sm3partw2 sm3ss1 sm3tt1a sm3tt1b sm3tt2a sm3tt2b sm4e sm4ekey smax smaxp smaxv smin sminp sminv
smlal smlal2 smlsl smlsl2 smmla smov smull smull2 sqabs sqadd sqdmlal sqdmlal2 sqdmlsl sqdmlsl2
sqdmulh sqdmull sqdmull2 sqneg sqrdmlah sqrdmlsh sqrdmulh sqrshl sqrshrn sqrshrn2 sqrshrun
sqrshrun2 sqshl sqshlu sqshrn sqshrn2 sqshrun sqshrun2 sqsub sqxtn sqxtn2 sqxtun sqxtun2 srhadd
sri srshl srshr srsra sshl sshll sshll2 sshr ssra ssubl ssubl2 ssubw ssubw2 st1 st2 st3 st4 sub
subhn subhn2 sudot suqadd sxtl sxtl2 tbl tbx trn1 trn2 uaba uabal uabal2 uabd uabdl uabdl2 uadalp
uaddl uaddl2 uaddlp uaddlv uaddw uaddw2 ucvtf udot uhadd uhsub umax umaxp umaxv umin uminp uminv
umlal umlal2 umlsl umlsl2 ummla umov umull umull2 uqadd uqrshl uqrshrn uqrshrn2 uqshl uqshrn
uqshrn2 uqsub uqxtn uqxtn2 urecpe urhadd urshl urshr ursqrte ursra usdot ushl ushll ushll2 ushr
usmmla usqadd usra usubl usubl2 usubw usubw2 uxtl uxtl2 uzp1 uzp2 xar xtn xtn2 zip1 zip2
"""

_SVE_SME = """
addpl addvl addspl addsvl and ands asrd bic bics brka brkas brkb brkbs brkn brkns brkpa brkpas
brkpb brkpbs clasta clastb cmpeq cmpge cmpgt cmphi cmphs cmple cmplo cmpls cmplt cmpne cnot cntb
cntd cnth cntp cntw compact cpy ctermeq ctermne decb decd dech decp decw dupm eorv eors fadda
faddv fexpa ftmad ftsmul ftssel incb incd inch incp incw index insr lasta lastb ld1b ld1d ld1h
ld1q ld1rb ld1rd ld1rh ld1rob ld1rod ld1roh ld1row ld1rqb ld1rqd ld1rqh ld1rqw ld1rsb ld1rsh
ld1rsw ld1rw ld1sb ld1sh ld1sw ld1w ld2b ld2d ld2h ld2q ld2w ld3b ld3d ld3h ld3q ld3w ld4b ld4d
ld4h ld4q ld4w ldff1b ldff1d ldff1h ldff1sb ldff1sh ldff1sw ldff1w ldnf1b ldnf1d ldnf1h ldnf1sb
ldnf1sh ldnf1sw ldnf1w ldnt1b ldnt1d ldnt1h ldnt1w lsrr lslr mad movs movprfx msb nand nands nor
nors orns orrs orv pfalse pfirst pnext prfb prfd prfh prfw ptest ptrue ptrues punpkhi punpklo rdffr
rdffrs rdvl rdsvl rev revb revh revw sdivr sel setffr splice sqdecb sqdecd sqdech sqdecp sqdecw
sqincb sqincd sqinch sqincp sqincw st1b st1d st1h st1q st1w st2b st2d st2h st2q st2w st3b st3d
st3h st3q st3w st4b st4d st4h st4q st4w stnt1b stnt1d stnt1h stnt1w subr sunpkhi sunpklo sxtb
sxth sxtw trn1 trn2 udivr uqdecb uqdecd uqdech uqdecp uqdecw uqincb uqincd uqinch uqincp uqincw
uunpkhi uunpklo uxtb uxth uxtw uzp1 uzp2 whilege whilegt whilehi whilehs whilele whilelo whilels
whilelt whilerw whilewr wrffr zip1 zip2 ldr str addha addva bfmopa bfmops fmopa fmops ld1b ldr
mova smopa smops st1b str sumopa sumops umopa umops usmopa usmops zero luti2 luti4 movt
"""

MNEMONICS = frozenset((_BASE + _FP_SIMD + _SVE_SME).split())


def is_instruction(mnemonic: str) -> bool:
    """True when ``mnemonic`` (lower case) is an A64 instruction, ``b.eq`` included."""
    return mnemonic in MNEMONICS or mnemonic.startswith(("b.", "bc."))
