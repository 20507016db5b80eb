'use strict'
// Validates CycloneDX 1.5 JSON SBOMs (tools/sbom.py's output) against the
// published CycloneDX 1.5 JSON schema, as shipped and applied by
// @cyclonedx/cyclonedx-library (ajv, strict validator), then checks what
// the schema cannot: specVersion is 1.5, bom-refs are unique, every
// dependency names a bom-ref of the document, licence expressions are SPDX
// expressions, purls parse.
//
//   node validate.cjs [--modules DIR] FILE...
//
// DIR holds the node_modules of tools/sbom/package-lock.json (npm ci);
// tools/sbom-validate.sh installs it in the cache and passes it.  Prints
// "FILE: ok (...)" per valid file; for an invalid one prints one line
// "FILE: reason" on stderr.  Exit status: 0 all valid, 1 some invalid,
// 2 usage or set-up error.  Runs on Debian 12's nodejs (18).

const fs = require('fs')
const path = require('path')
const { createRequire } = require('module')

function usage (msg) {
  process.stderr.write(`sbom-validate: ${msg}\nusage: node validate.cjs [--modules DIR] FILE...\n`)
  process.exit(2)
}

let args = process.argv.slice(2)
let load = require
if (args[0] === '--modules') {
  if (args.length < 2) usage('--modules needs a directory')
  load = createRequire(path.join(path.resolve(args[1]), 'package.json'))
  args = args.slice(2)
}
if (args.length === 0) usage('no file')

let CDX, PackageURL, spdxParse
try {
  CDX = load('@cyclonedx/cyclonedx-library')
  PackageURL = load('packageurl-js').PackageURL
  spdxParse = load('spdx-expression-parse')
} catch (e) {
  process.stderr.write(`sbom-validate: cannot load the validator's packages (run tools/sbom-validate.sh): ${e.message.split('\n')[0]}\n`)
  process.exit(2)
}

const oneLine = s => String(s).replace(/\s+/g, ' ').trim()

// ajv reports every failing branch of a oneOf; the error deepest in the
// document is the one that names the culprit.
function schemaReason (errors) {
  let best = errors[0]
  for (const e of errors) {
    if (e.instancePath.split('/').length > best.instancePath.split('/').length) best = e
  }
  let detail = ''
  if (best.params && best.params.allowedValues) {
    detail = ` (${best.params.allowedValues.join(', ')})`
  } else if (best.params && best.params.additionalProperty) {
    detail = ` (${best.params.additionalProperty})`
  }
  const more = errors.length > 1 ? ` [${errors.length} schema errors]` : ''
  return `schema: ${best.instancePath || '/'} ${best.message}${detail}${more}`
}

// Every component-like object that may carry a bom-ref, with its JSON path.
function * components (bom) {
  function * walk (list, where) {
    if (!Array.isArray(list)) return
    for (let i = 0; i < list.length; i++) {
      const c = list[i]
      yield [c, `${where}/${i}`]
      yield * walk(c.components, `${where}/${i}/components`)
    }
  }
  const md = bom.metadata || {}
  if (md.component) {
    yield [md.component, '/metadata/component']
    yield * walk(md.component.components, '/metadata/component/components')
  }
  yield * walk(bom.components, '/components')
  yield * walk(bom.services, '/services')
}

function semanticReason (bom) {
  if (bom.specVersion !== '1.5') return `specVersion is ${JSON.stringify(bom.specVersion)}, not "1.5"`
  const refs = new Map()
  for (const [c, where] of components(bom)) {
    const ref = c['bom-ref']
    if (ref === undefined) continue
    if (refs.has(ref)) return `bom-ref ${JSON.stringify(ref)} at ${where} already used at ${refs.get(ref)}`
    refs.set(ref, where)
  }
  const deps = bom.dependencies || []
  const seen = new Set()
  for (let i = 0; i < deps.length; i++) {
    const d = deps[i]
    if (!refs.has(d.ref)) return `/dependencies/${i}: ref ${JSON.stringify(d.ref)} is no bom-ref of the document`
    if (seen.has(d.ref)) return `/dependencies/${i}: ref ${JSON.stringify(d.ref)} listed twice`
    seen.add(d.ref)
    for (const on of d.dependsOn || []) {
      if (!refs.has(on)) return `/dependencies/${i}: dependsOn ${JSON.stringify(on)} is no bom-ref of the document`
    }
  }
  for (const [c, where] of components(bom)) {
    for (const [j, l] of (c.licenses || []).entries()) {
      if (l.expression === undefined) continue
      try {
        spdxParse(l.expression)
      } catch (e) {
        return `${where}/licenses/${j}: not an SPDX expression: ${JSON.stringify(l.expression)} (${oneLine(e.message)})`
      }
    }
    if (c.purl !== undefined) {
      try {
        PackageURL.fromString(c.purl)
      } catch (e) {
        return `${where}/purl: not a package URL: ${JSON.stringify(c.purl)} (${oneLine(e.message)})`
      }
    }
  }
  return null
}

async function check (validator, file) {
  let text
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    return [false, `cannot read: ${e.message}`]
  }
  let bom
  try {
    bom = JSON.parse(text)
  } catch (e) {
    return [false, `not JSON: ${e.message}`]
  }
  const errors = await validator.validate(text)
  if (errors) return [false, schemaReason(errors)]
  const reason = semanticReason(bom)
  if (reason) return [false, reason]
  const n = (bom.components || []).length
  const d = (bom.dependencies || []).length
  return [true, `ok (CycloneDX ${bom.specVersion}, ${n} components, ${d} dependency entries)`]
}

async function main () {
  const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot5)
  let failed = 0
  for (const file of args) {
    let ok, msg
    try {
      [ok, msg] = await check(validator, file)
    } catch (e) {
      if (e instanceof CDX.Validation.MissingOptionalDependencyError) {
        process.stderr.write(`sbom-validate: the JSON validator lacks its packages: ${oneLine(e.message)}\n`)
        process.exit(2)
      }
      throw e
    }
    if (ok) {
      process.stdout.write(`${file}: ${msg}\n`)
    } else {
      failed++
      process.stderr.write(`${file}: ${oneLine(msg)}\n`)
    }
  }
  process.exit(failed ? 1 : 0)
}

main().catch(e => {
  process.stderr.write(`sbom-validate: ${oneLine(e && e.stack ? e.stack.split('\n')[0] : e)}\n`)
  process.exit(2)
})
