"""个人信息收集清单: what the service collects, why, in which feature, whether it is
required, how long it is kept and who else receives it (GB/T 35273-2020 5.5, 9.2).
Served as data by ``GET /api/v1/personal-information/collection-list``; the privacy
policy refers to it. Keep it in step with the code when a feature collects something new."""

COLLECTION_LIST = (
    {"category": "账号信息", "items": ["手机号码"], "purpose": "注册、登录南海通，发送验证码和办事通知",
     "feature": "注册与登录", "required": True, "sensitive": False,
     "retention": "账号存续期间；注销后删除", "shared_with": ["短信服务商（受托处理）"]},
    {"category": "身份信息", "items": ["姓名", "居民身份证号码", "出生日期（由身份证号码得出）"],
     "purpose": "实名核验，办理需要实名的政务服务，判断是否为未满十四周岁的未成年人",
     "feature": "实名认证", "required": False, "sensitive": True,
     "retention": "账号存续期间；注销后删除", "shared_with": ["公安部身份核验服务", "粤省事、粤商通（您申请办事时）"]},
    {"category": "生物识别信息", "items": ["人脸活体检测结果"], "purpose": "提升身份核验等级至三级",
     "feature": "人脸核验", "required": False, "sensitive": True,
     "retention": "不保存人脸图像与特征，仅保存核验时间与结果", "shared_with": ["人脸核验服务（受托处理）"]},
    {"category": "电子证照", "items": ["证照编号", "持证人姓名", "证照字段"],
     "purpose": "在卡包中展示、亮证和核验您的电子证照", "feature": "电子证照", "required": False,
     "sensitive": True, "retention": "账号存续期间；注销后删除", "shared_with": ["您亮证时选择披露的核验方", "您授权的合作平台"]},
    {"category": "办事信息", "items": ["申请表单内容", "附带的电子证照"], "purpose": "向省级平台提交和跟踪您的申请",
     "feature": "政务服务", "required": False, "sensitive": False,
     "retention": "账号存续期间；注销后删除（省级平台依法保存其办件档案）", "shared_with": ["粤省事", "粤商通"]},
    {"category": "支付信息", "items": ["公交卡号、燃气户号", "订单与金额"], "purpose": "缴费与充值",
     "feature": "生活缴费", "required": False, "sensitive": True,
     "retention": "交易记录依法保存（注销后以匿名编号保留）", "shared_with": ["微信支付", "支付宝", "岭南通", "燃气公司"]},
    {"category": "电子签名", "items": ["签名证书（含姓名）", "签署的文件"], "purpose": "电子签名与签章",
     "feature": "电子签名", "required": False, "sensitive": True,
     "retention": "已签署文件与证书依《电子签名法》保存（注销后以匿名编号保留）", "shared_with": []},
    {"category": "设备信息", "items": ["推送令牌", "设备平台", "登录设备的客户端标识"], "purpose": "消息推送与登录设备管理",
     "feature": "消息与安全", "required": False, "sensitive": False,
     "retention": "账号存续期间；注销后删除", "shared_with": ["推送服务商（受托处理）"]},
    {"category": "授权记录", "items": ["您给出的授权与同意", "他人使用您数据的记录"],
     "purpose": "代办、企业授权、合作平台授权及向您展示共享情况", "feature": "授权管理", "required": False,
     "sensitive": False, "retention": "账号存续期间；注销后删除", "shared_with": ["您授权的代办人和合作平台"]},
    {"category": "操作日志", "items": ["操作时间、IP地址、操作结果"], "purpose": "安全审计（《网络安全法》第二十一条）",
     "feature": "全部功能", "required": True, "sensitive": False,
     "retention": "不少于六个月；注销后以匿名编号保留", "shared_with": []},
)
