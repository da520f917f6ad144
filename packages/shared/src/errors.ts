import { CatalogueError, type ErrorCatalogue } from './error-catalogue.js';

/** moalog-server's error catalog (listed in docs/errors.md): code → HTTP status and default message. */
export const errorCatalog = {
  COMMON400: { status: 400, message: '잘못된 요청입니다.' },
  COMMON403: { status: 403, message: '접근 권한이 없습니다.' },
  COMMON404: { status: 404, message: '요청한 리소스를 찾을 수 없습니다.' },
  COMMON405: { status: 405, message: '허용되지 않는 메서드입니다.' },
  COMMON409: { status: 409, message: '이미 존재하는 리소스입니다.' },
  COMMON413: { status: 413, message: '요청 본문이 너무 큽니다.' },
  COMMON414: { status: 414, message: '요청 URI가 너무 깁니다.' },
  COMMON431: { status: 431, message: '요청 헤더가 너무 큽니다.' },
  COMMON500: { status: 500, message: '서버 에러, 관리자에게 문의 바랍니다.' },
  COMMON503: { status: 503, message: '서비스를 일시적으로 사용할 수 없습니다. 잠시 후 다시 시도해주세요.' },
  AUTH4001: { status: 401, message: '로그인이 필요합니다.' },
  AUTH4002: { status: 401, message: '소셜 로그인에 실패했습니다.' },
  AUTH4003: { status: 400, message: '유효하지 않은 토큰입니다.' },
  AUTH4004: { status: 401, message: '유효하지 않은 리프레시 토큰입니다.' },
  AUTH4005: { status: 401, message: '로그아웃된 토큰입니다.' },
  RETRO4001: { status: 400, message: '이름 길이가 올바르지 않습니다.' },
  RETRO4002: { status: 400, message: '잘못된 요청입니다.' },
  RETRO4003: { status: 400, message: '잘못된 요청입니다.' },
  RETRO4004: { status: 400, message: '잘못된 요청입니다.' },
  RETRO4005: { status: 400, message: '유효하지 않은 회고 방식입니다.' },
  RETRO4006: { status: 400, message: '유효하지 않은 참고 URL입니다.' },
  RETRO4007: { status: 400, message: '답변은 공백만으로 이루어질 수 없습니다.' },
  RETRO4031: { status: 403, message: '권한이 없습니다.' },
  RETRO4033: { status: 403, message: '이미 제출한 회고입니다.' },
  RETRO4041: { status: 404, message: '존재하지 않는 회고입니다.' },
  RETRO4043: { status: 404, message: '존재하지 않는 질문입니다.' },
  RETRO4091: { status: 409, message: '이미 존재합니다.' },
  RETRO4092: { status: 409, message: '이미 회고방에 참여 중입니다.' },
  RETRO4221: { status: 422, message: 'AI 분석에 필요한 데이터가 부족합니다.' },
  RES4001: { status: 400, message: '댓글은 200자를 넘을 수 없습니다.' },
  RES4041: { status: 404, message: '존재하지 않는 회고 답변입니다.' },
  AI4031: { status: 403, message: '월간 분석 가능 횟수를 초과하였습니다.' },
  AI4032: { status: 403, message: '월간 AI 가이드 사용 횟수를 초과하였습니다.' },
  AI5001: { status: 500, message: 'AI 분석에 실패했습니다.' },
  AI5002: { status: 500, message: 'AI 서비스 연결에 실패했습니다.' },
  AI5003: { status: 500, message: 'AI 처리 중 오류가 발생했습니다.' },
  AI5031: { status: 503, message: 'AI 서비스를 일시적으로 사용할 수 없습니다.' },
  SEARCH4001: { status: 400, message: '검색어는 1자 이상 100자 이하여야 합니다.' },
  MEMBER4042: { status: 404, message: '존재하지 않는 회원입니다.' },
  RATE4291: { status: 429, message: '요청 한도를 초과했습니다. 잠시 후 다시 시도해주세요.' },
  PAY4001: { status: 400, message: '유효하지 않은 플랜입니다.' },
  PAY4002: { status: 400, message: '결제 금액이 플랜 가격과 일치하지 않습니다.' },
  PAY4021: { status: 402, message: '결제가 거절되었습니다.' },
  PAY4031: { status: 403, message: '구독이 필요한 기능입니다.' },
  PAY4042: { status: 404, message: '결제를 기다리는 구독을 찾을 수 없습니다.' },
  PAY4093: { status: 409, message: '이 구독은 결제를 승인할 수 있는 상태가 아닙니다.' },
  PAY4094: { status: 409, message: '이 플랜의 결제 주문이 이미 다른 조건으로 존재합니다. 잠시 후 다시 시도해주세요.' },
  PAY5022: { status: 502, message: '결제 대행사가 응답하지 않아 결제가 실패했습니다.' },
  PAY4041: { status: 404, message: '활성 구독이 없습니다.' },
  PAY4091: { status: 409, message: '이미 동일한 플랜을 구독 중입니다.' },
  PAY4221: { status: 422, message: '같은 멱등성 키로 다른 요청을 보냈습니다.' },
  PAY4092: { status: 409, message: '같은 멱등성 키의 요청이 아직 처리 중입니다.' },
  PAY5001: { status: 500, message: '결제 처리 중 오류가 발생했습니다.' },
  PAY5021: { status: 502, message: '결제 서비스에 연결할 수 없습니다.' },
} as const satisfies ErrorCatalogue;

export type ErrorCode = keyof typeof errorCatalog;

/** A failure with an api code, answered in the api's envelope with these extra headers. */
export class AppError extends CatalogueError<ErrorCode> {
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message?: string, headers: Record<string, string> = {}) {
    super(errorCatalog, code, message);
    this.name = 'AppError';
    this.headers = headers;
  }
}
