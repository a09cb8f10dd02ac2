// Runs Hog bytecode through the reference TypeScript VM (@posthog/hogvm).
//
//   node run.js exec FILE.hoge [globals.json]   -> JSON {stdout, finished, error}
//   node run.js execmany CASES.json              -> JSON array of {stdout, finished, error}
//   node run.js state-make FILE.hoge             -> {name, state}: the VMState at the first suspension
//   node run.js state-resume STATE.json          -> resume with a null result: {stdout, finished, error}
//   node run.js bench DIR NAME... [--iterations N] -> "name wall-ns/op cpu-ns/op" per program
//
// The regex matcher uses JavaScript RegExp (with a leading (?i) turned into the
// i flag) instead of RE2, so the native re2 module is not needed.
'use strict'
const fs = require('fs')
const path = require('path')
const crypto = require('crypto')
const { exec, convertHogToJS } = require('@posthog/hogvm')

function toRegExp(regex) {
    if (typeof regex !== 'string') {
        // what node-re2, used by the reference CLI, throws
        throw new TypeError('Expected string, Buffer, RegExp, or RE2 as the 1st argument.')
    }
    let flags = ''
    while (regex.startsWith('(?i)')) {
        regex = regex.slice(4)
        flags = 'i'
    }
    return new RegExp(regex, flags)
}

const external = {
    regex: {
        match: (regex, value) => toRegExp(regex).test(String(value)),
        extract: (regex, value) => {
            const m = toRegExp(regex).exec(String(value))
            return m ? (m.length > 1 ? m[1] : m[0]) : ''
        },
    },
    crypto,
}

function geoipFunctions(fields) {
    return {
        geoipLookup: () => {
            const out = {}
            fields.forEach((f, i) => (out[f] = `value-${i}`))
            return out
        },
    }
}

function options(dir, name) {
    const opts = { external }
    const globalsFile = path.join(dir, name + '.globals.json')
    if (fs.existsSync(globalsFile)) {
        opts.globals = JSON.parse(fs.readFileSync(globalsFile, 'utf8'))
    }
    const fieldsFile = path.join(dir, name + '.fields.json')
    if (fs.existsSync(fieldsFile)) {
        opts.functions = geoipFunctions(JSON.parse(fs.readFileSync(fieldsFile, 'utf8')))
    }
    return opts
}

function runExec(file, globalsFile) {
    const bytecode = JSON.parse(fs.readFileSync(file, 'utf8'))
    const opts = { external }
    if (globalsFile) {
        opts.globals = JSON.parse(fs.readFileSync(globalsFile, 'utf8'))
    }
    const lines = []
    const log = console.log
    console.log = (...args) => lines.push(args.join(' '))
    let res
    try {
        res = exec(bytecode, opts)
    } catch (e) {
        res = { finished: false, error: e }
    } finally {
        console.log = log
    }
    process.stdout.write(
        JSON.stringify({
            stdout: lines.length ? lines.join('\n') + '\n' : '',
            finished: !!res.finished,
            error: errorString(res.error),
        }) + '\n'
    )
}

function errorString(e) {
    if (!e) {
        return null
    }
    if (e.name === 'UncaughtHogVMException') {
        return e.toString()
    }
    return String(e.message ?? e)
}

// runMany executes every bytecode of a JSON array file and prints a JSON array of results.
function runMany(file) {
    const cases = JSON.parse(fs.readFileSync(file, 'utf8'))
    const log = console.log
    const out = cases.map((bytecode) => {
        const lines = []
        console.log = (...args) => lines.push(args.join(' '))
        let res
        try {
            res = exec(bytecode, { external })
        } catch (e) {
            res = { finished: false, error: e }
        } finally {
            console.log = log
        }
        return { stdout: lines.map((l) => l + '\n').join(''), finished: !!res.finished, error: errorString(res.error) }
    })
    process.stdout.write(JSON.stringify(out))
}

// stateMake runs a bytecode file until it suspends and prints the VMState JSON.
function stateMake(file) {
    const res = exec(JSON.parse(fs.readFileSync(file, 'utf8')), { external })
    if (res.finished || res.error) {
        throw new Error('program did not suspend: ' + errorString(res.error))
    }
    process.stdout.write(JSON.stringify({ name: res.asyncFunctionName, state: res.state }))
}

// stateResume resumes a VMState JSON file with null as the async result and
// prints {stdout, finished, error}.
function stateResume(file) {
    const state = JSON.parse(fs.readFileSync(file, 'utf8'))
    state.stack.push(null)
    const lines = []
    const log = console.log
    console.log = (...args) => lines.push(args.join(' '))
    let res
    try {
        res = exec(state, { external })
    } finally {
        console.log = log
    }
    process.stdout.write(
        JSON.stringify({ stdout: lines.map((l) => l + '\n').join(''), finished: !!res.finished, error: errorString(res.error) })
    )
}

function runBench(dir, names, iterations) {
    const log = console.log
    for (const name of names) {
        const bytecode = JSON.parse(fs.readFileSync(path.join(dir, name + '.hoge'), 'utf8'))
        const opts = options(dir, name)
        console.log = () => {}
        let res
        // warm up the JIT, then measure; fewer iterations for slow programs
        const t0 = process.hrtime.bigint()
        for (let i = 0; i < 5; i++) res = exec(bytecode, opts)
        const warmNs = Number(process.hrtime.bigint() - t0) / 5
        const n = Math.max(3, Math.min(iterations, Math.floor(5e8 / Math.max(warmNs, 1))))
        for (let i = 0; i < Math.min(n, 100); i++) res = exec(bytecode, opts)
        const cpu0 = process.cpuUsage()
        const w0 = process.hrtime.bigint()
        for (let i = 0; i < n; i++) res = exec(bytecode, opts)
        const wall = Number(process.hrtime.bigint() - w0) / n
        const cpu = process.cpuUsage(cpu0)
        console.log = log
        if (res.error) {
            throw new Error(`${name}: ${res.error}`)
        }
        log(`${name} ${Math.round(wall)} ${Math.round(((cpu.user + cpu.system) * 1000) / n)}`)
    }
}

const [mode, ...args] = process.argv.slice(2)
if (mode === 'exec') {
    runExec(args[0], args[1])
} else if (mode === 'state-make') {
    stateMake(args[0])
} else if (mode === 'state-resume') {
    stateResume(args[0])
} else if (mode === 'execmany') {
    runMany(args[0])
} else if (mode === 'bench') {
    let iterations = 1000
    const i = args.indexOf('--iterations')
    if (i >= 0) {
        iterations = Number(args[i + 1])
        args.splice(i, 2)
    }
    runBench(args[0], args.slice(1), iterations)
} else {
    console.error('usage: node run.js exec FILE.hoge [globals.json] | bench DIR NAME... [--iterations N]')
    process.exit(2)
}
