"""Position tables: posts, applicant snapshots and the import log.

The tables live on the case database's declarative ``Base`` (one schema, one migration
history). A post is keyed by ``(exam, year, code)``; an applicant snapshot by
``(exam, year, code, date)`` so that daily statistics of several days and years
accumulate. Snapshots are not foreign-keyed to posts: an official applicant sheet may be
imported before (or without) the position table it counts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, String, Text, UniqueConstraint

from bot.db.models import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class PositionPost(Base):
    """One post of an official position table, with its requirement text as published."""

    __tablename__ = "position_posts"
    __table_args__ = (
        UniqueConstraint("exam", "year", "code", name="uq_position_posts_exam_year_code"),
        Index("ix_position_posts_exam_year_city", "exam", "year", "city"),
    )

    id = Column(Integer, primary_key=True)
    exam = Column(String(32), nullable=False)
    year = Column(Integer, nullable=False)
    code = Column(String(40), nullable=False)
    organ = Column(Text, nullable=True)          # 招录机关
    unit = Column(Text, nullable=True)           # 用人单位 / 招录部门
    name = Column(Text, nullable=True)           # 职位名称
    description = Column(Text, nullable=True)    # 职位简介
    city = Column(String(64), nullable=True)     # 城市 / 地市 (derived for Henan from the code)
    district = Column(String(64), nullable=True)
    work_place = Column(Text, nullable=True)     # 工作地点
    openings = Column(Integer, nullable=True)    # 招录人数
    education = Column(Text, nullable=True)      # 学历
    degree = Column(Text, nullable=True)         # 学位
    major = Column(Text, nullable=True)          # 专业 (one column, "本科：…；研究生：…")
    major_college = Column(Text, nullable=True)  # 专科专业
    major_undergrad = Column(Text, nullable=True)  # 本科专业
    major_graduate = Column(Text, nullable=True)   # 研究生专业
    age = Column(Text, nullable=True)            # 年龄
    political = Column(Text, nullable=True)      # 政治面貌
    experience = Column(Text, nullable=True)     # 基层工作最低年限 / 工作经历要求
    project = Column(Text, nullable=True)        # 服务基层项目工作经历
    target_group = Column(Text, nullable=True)   # 招录对象
    other = Column(Text, nullable=True)          # 其他要求 / 其他条件
    remarks = Column(Text, nullable=True)        # 备注
    physical_exam = Column(Text, nullable=True)  # 体检标准
    fitness_test = Column(Text, nullable=True)   # 是否进行体能测评
    phone = Column(Text, nullable=True)          # 咨询电话 (own column where the table has one)
    gender = Column(Text, nullable=True)         # 性别要求 (own column where the table has one)
    hukou = Column(Text, nullable=True)          # 户籍要求
    identity = Column(Text, nullable=True)       # 现有身份要求 / 是否限应届毕业生报考
    post_type = Column(Text, nullable=True)      # 职位类型 / 职位类别 / 考试类别 as published
    tests = Column(Text, nullable=True)          # extra tests named by yes/no columns (心理素质测评 …)
    section = Column(Text, nullable=True)        # sheet or section heading the post is listed under
    section_notes = Column(Text, nullable=True)  # notes printed above the sheet's header (配套措施 …)
    details = Column(JSON, nullable=True)        # columns no field takes, by official name (shown as is)
    family = Column(String(16), nullable=True)   # 综合管理类 / 行政执法类 / 专业技术类 (derived)
    source_fields = Column(Text, nullable=True)  # canonical fields the source table carried
    raw = Column(JSON, nullable=True)            # the row as published, by official column name
    source = Column(String(255), nullable=True)  # file it came from
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class PositionSnapshot(Base):
    """Applicants of one post on one day (official daily statistics)."""

    __tablename__ = "position_snapshots"
    __table_args__ = (
        UniqueConstraint("exam", "year", "code", "date", name="uq_position_snapshots_key"),
        Index("ix_position_snapshots_exam_year_date", "exam", "year", "date"),
    )

    id = Column(Integer, primary_key=True)
    exam = Column(String(32), nullable=False)
    year = Column(Integer, nullable=False)
    code = Column(String(40), nullable=False)
    date = Column(Date, nullable=False)
    applicants = Column(Integer, nullable=False)
    approved = Column(Integer, nullable=True)    # 审核通过人数 where published
    openings = Column(Integer, nullable=True)    # as printed on that day's sheet
    source = Column(String(255), nullable=True)


class PositionImport(Base):
    """One import of one file: what was loaded, for idempotence checks and cache stamps."""

    __tablename__ = "position_imports"
    __table_args__ = (
        UniqueConstraint("exam", "year", "sha256", "snapshot", name="uq_position_imports_file"),
    )

    id = Column(Integer, primary_key=True)
    exam = Column(String(32), nullable=False)
    year = Column(Integer, nullable=False)
    file_name = Column(String(255), nullable=False)
    sha256 = Column(String(64), nullable=False)
    snapshot = Column(String(32), nullable=False, default="")  # --snapshot given, or ""
    kind = Column(String(16), nullable=False)    # positions / applicants / mixed
    posts = Column(Integer, nullable=False, default=0)
    snapshots = Column(Integer, nullable=False, default=0)
    report = Column(JSON, nullable=True)         # how the file was understood (see ImportReport)
    imported_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
