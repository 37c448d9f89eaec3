import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthorizeOutcome } from '../auth/authorization/outcome.js'
import type { MfaMethod } from '../auth/mfa/mfa-service.js'
import { DoubleSubmitCsrf } from '../http/csrf.js'
import { loginPage } from '../pages/login-page.js'
import { enrollPage, recoveryCodesPage, secondFactorPage } from '../pages/second-factor-page.js'
import { formActionCsp } from './login.js'

/** A flow outcome that asks for a login: the request the step's pages carry. */
export type LoginAsked = Extract<AuthorizeOutcome, { kind: 'login' }>

export const wrongCode = 'That code is not right. Try again.'
const startAgain =
  'Your sign-in expired or had too many wrong codes. Enter your username and password again.'

/**
 * The pages of a sign-in's second step, shared by POST /login (after a right password) and the
 * step's own routes: the code form and the enrollment, each with the request's parameters, the
 * CSRF value and the `mfa_token` as hidden fields, under the login page's CSP.
 */
export class SecondStepViews {
  private readonly csrf: DoubleSubmitCsrf

  constructor(
    private readonly productName: string,
    secureCookies: boolean,
    private readonly resetHref: string | null,
  ) {
    this.csrf = new DoubleSubmitCsrf(secureCookies)
  }

  /** The code form (TOTP when the user has it, and recovery codes). */
  secondFactor(
    request: FastifyRequest,
    reply: FastifyReply,
    asked: LoginAsked,
    mfaToken: string,
    methods: readonly MfaMethod[],
    error?: string,
  ): FastifyReply {
    return this.page(reply, asked).send(
      secondFactorPage({ ...this.common(request, reply, asked, mfaToken, error), methods }),
    )
  }

  /** The enrollment (QR code, secret, first code); `offer` null: the code field alone. */
  enroll(
    request: FastifyRequest,
    reply: FastifyReply,
    asked: LoginAsked,
    mfaToken: string,
    offer: { qrSvg: string; secret: string } | null,
    error?: string,
  ): FastifyReply {
    return this.page(reply, asked).send(
      enrollPage({ ...this.common(request, reply, asked, mfaToken, error), offer }),
    )
  }

  /**
   * The login form again: with one sentence (400) when the step's token is no longer usable, or
   * plain (200) when the flow asks for a login.
   */
  loginForm(
    request: FastifyRequest,
    reply: FastifyReply,
    asked: LoginAsked,
    error?: string,
  ): FastifyReply {
    return this.page(reply.code(error === undefined ? 200 : 400), asked).send(
      loginPage({
        productName: this.productName,
        clientName: asked.request.client.name,
        csrf: this.csrf.issue(request, reply),
        params: asked.request.params,
        resetHref: this.resetHref,
        username: undefined,
        error,
      }),
    )
  }

  /** The login form with why: the step's token is spent or expired. */
  startAgain(request: FastifyRequest, reply: FastifyReply, asked: LoginAsked): FastifyReply {
    return this.loginForm(request, reply, asked, startAgain)
  }

  /** The recovery codes of a new enrollment, shown once, and "Continue". */
  recoveryCodes(
    request: FastifyRequest,
    reply: FastifyReply,
    asked: LoginAsked,
    sessionId: string,
    codes: readonly string[],
  ): FastifyReply {
    return this.page(reply, asked).send(
      recoveryCodesPage({
        productName: this.productName,
        csrf: this.csrf.issue(request, reply),
        params: asked.request.params,
        sessionId,
        codes,
      }),
    )
  }

  private page(reply: FastifyReply, asked: LoginAsked): FastifyReply {
    return reply.header('content-security-policy', formActionCsp(asked.request.redirectUri))
  }

  private common(
    request: FastifyRequest,
    reply: FastifyReply,
    asked: LoginAsked,
    mfaToken: string,
    error: string | undefined,
  ) {
    return {
      productName: this.productName,
      clientName: asked.request.client.name,
      csrf: this.csrf.issue(request, reply),
      params: asked.request.params,
      mfaToken,
      error,
    }
  }
}
