/**
 * The script of the hosted passkey forms (the login page's "Sign in with a passkey", the second
 * step's "Use a passkey", and GET /add-passkey), served as a file from /assets: the pages' CSP
 * allows no inline script. Without JavaScript, or in a browser without WebAuthn, the forms stay
 * hidden and the page works with the password (and a code) as before.
 *
 * A form `<form data-passkey="get|create" data-passkey-options="URL" hidden>` holds the page's
 * hidden fields (the authorization request, the CSRF value, the second step's token). On submit the script posts the form's fields to the options URL
 * (same origin, with the CSRF cookie), calls `navigator.credentials.get` or `.create` with the
 * answer (base64url fields decoded), adds a `credential` field with the credential's JSON
 * (WebAuthn §5.1 `toJSON()` shape, base64url fields encoded) and submits the form to the server.
 */
export const passkeyScript = `'use strict'
;(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) return
  var bytes = function (text) {
    var base64 = text.replace(/-/g, '+').replace(/_/g, '/')
    while (base64.length % 4) base64 += '='
    var raw = atob(base64)
    var out = new Uint8Array(raw.length)
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i)
    return out.buffer
  }
  var text = function (buffer) {
    var view = new Uint8Array(buffer)
    var raw = ''
    for (var i = 0; i < view.length; i++) raw += String.fromCharCode(view[i])
    return btoa(raw).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')
  }
  var descriptors = function (list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: bytes(c.id), transports: c.transports }
    })
  }
  var get = function (o) {
    return navigator.credentials.get({
      publicKey: {
        challenge: bytes(o.challenge),
        rpId: o.rpId,
        timeout: o.timeout,
        userVerification: o.userVerification,
        allowCredentials: descriptors(o.allowCredentials)
      }
    })
  }
  var create = function (o) {
    return navigator.credentials.create({
      publicKey: {
        rp: o.rp,
        user: { id: bytes(o.user.id), name: o.user.name, displayName: o.user.displayName },
        challenge: bytes(o.challenge),
        pubKeyCredParams: o.pubKeyCredParams,
        timeout: o.timeout,
        excludeCredentials: descriptors(o.excludeCredentials),
        authenticatorSelection: o.authenticatorSelection,
        attestation: o.attestation
      }
    })
  }
  var json = function (c) {
    var r = c.response
    var response = { clientDataJSON: text(r.clientDataJSON) }
    if (r.attestationObject) {
      response.attestationObject = text(r.attestationObject)
      response.transports = r.getTransports ? r.getTransports() : []
    } else {
      response.authenticatorData = text(r.authenticatorData)
      response.signature = text(r.signature)
      if (r.userHandle) response.userHandle = text(r.userHandle)
    }
    var out = { id: c.id, rawId: text(c.rawId), type: c.type, response: response }
    out.clientExtensionResults = c.getClientExtensionResults ? c.getClientExtensionResults() : {}
    if (c.authenticatorAttachment) out.authenticatorAttachment = c.authenticatorAttachment
    return JSON.stringify(out)
  }
  var forms = document.querySelectorAll('form[data-passkey]')
  Array.prototype.forEach.call(forms, function (form) {
    var button = form.querySelector('button')
    var status = form.querySelector('[data-passkey-status]')
    var ceremony = form.getAttribute('data-passkey') === 'create' ? create : get
    form.hidden = false
    form.addEventListener('submit', function (event) {
      event.preventDefault()
      button.disabled = true
      if (status) status.textContent = ''
      fetch(form.getAttribute('data-passkey-options'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(new FormData(form)).toString(),
        credentials: 'same-origin'
      })
        .then(function (res) {
          if (!res.ok) throw new Error('options ' + res.status)
          return res.json()
        })
        .then(ceremony)
        .then(function (credential) {
          var old = form.querySelector('input[name="credential"]')
          if (old) form.removeChild(old)
          var field = document.createElement('input')
          field.type = 'hidden'
          field.name = 'credential'
          field.value = json(credential)
          form.appendChild(field)
          form.submit()
        })
        .catch(function () {
          button.disabled = false
          if (status) status.textContent = form.getAttribute('data-passkey-failed') || ''
        })
    })
  })
})()
`
